import { byId } from "./dom.js";
import type { TextSplit } from "./text-session.js";

/**
 * The text inputs: a pasted text or a chosen `.txt` file, and how to split it. "Use this text"
 * hands the text, a name for it and the split to `onText`; a file is read when chosen.
 */
export function setUpTextInputs(onText: (raw: string, name: string, split: TextSplit) => void, showError: (message: string) => void): void {
  const area = byId<HTMLTextAreaElement>("text-input");
  const file = byId<HTMLInputElement>("text-file");
  const split = (): TextSplit => (byId<HTMLSelectElement>("text-split").value === "lines" ? "lines" : "sentences");
  byId("use-text").addEventListener("click", () => onText(area.value, "pasted text", split()));
  file.addEventListener("change", () => {
    const chosen = file.files?.[0];
    if (chosen === undefined) return;
    chosen.text().then(
      (raw) => {
        // NOTE: TextDecoder (File.text) replaces invalid UTF-8 with U+FFFD; a binary file is mostly that.
        const replaced = raw.length === 0 ? 0 : (raw.match(/\uFFFD/g)?.length ?? 0) / raw.length;
        if (replaced > 0.01) return showError(`${chosen.name}: not UTF-8 text (${(100 * replaced).toFixed(0)}% of its characters could not be read)`);
        onText(raw, chosen.name, split());
      },
      (e: unknown) => showError(`${chosen.name}: could not be read (${e instanceof Error ? e.message : String(e)})`),
    );
  });
}

/** The search results: each similar document with its cosine similarity, best first. */
export function showSimilar(texts: readonly string[], indices: Int32Array, similarities: Float32Array): { text: string; similarity: number }[] {
  const found = Array.from(indices, (i, n) => ({ text: texts[i] ?? "", similarity: similarities[n] ?? 0 }));
  byId("similar-texts").replaceChildren(
    ...found.map(({ text, similarity }) => {
      const li = document.createElement("li");
      li.textContent = `${text} (${similarity.toFixed(2)})`;
      return li;
    }),
  );
  return found;
}
