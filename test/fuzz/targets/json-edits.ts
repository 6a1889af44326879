import fc, { type Arbitrary } from "fast-check";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** One structural edit of a JSON document: at a path chosen by fractions, replace, delete, or add a value. */
interface Edit {
  readonly depth: readonly number[];
  readonly kind: "replace" | "delete" | "add";
  readonly key: string;
  readonly value: Json;
}

/** Values that break readers: wrong types, boundary numbers, prototype keys, huge strings are left out (bounded cases). */
const hostileValue: Arbitrary<Json> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 2 }) as Arbitrary<Json> },
  fc.constantFrom<Json>(null, -1, 0, 1.5, 2 ** 31, 2 ** 53, 1e308, "", "<pad>", "Ġ", "a b", "constructor __proto__", [], {}, [0, 1], { type: "BPE" }),
);

function applyEdit(doc: Json, edit: Edit): Json {
  const root = structuredClone(doc);
  let parent: Json = root;
  // Walk down while the chosen child is a container, so edits reach nested fields (model.vocab["x"]).
  for (const fraction of edit.depth) {
    const keys = containerKeys(parent);
    if (keys.length === 0) break;
    const key = keys[Math.floor(fraction * keys.length)] as string | number;
    const child = (parent as Record<string | number, Json>)[key] as Json;
    if (child === null || typeof child !== "object" || containerKeys(child).length === 0) break;
    parent = child;
  }
  const keys = containerKeys(parent);
  const target = keys.length === 0 ? undefined : keys[Math.floor((edit.depth[edit.depth.length - 1] ?? 0) * keys.length)];
  if (Array.isArray(parent)) {
    const i = typeof target === "number" ? target : 0;
    if (edit.kind === "replace" && parent.length > 0) parent[i] = edit.value;
    else if (edit.kind === "delete") parent.splice(i, 1);
    else parent.splice(i, 0, edit.value);
  } else if (parent !== null && typeof parent === "object") {
    if (edit.kind === "replace" && target !== undefined) parent[target as string] = edit.value;
    else if (edit.kind === "delete" && target !== undefined) delete parent[target as string];
    else Object.defineProperty(parent, edit.key, { value: edit.value, enumerable: true, writable: true, configurable: true });
  }
  return root;
}

function containerKeys(value: Json): (string | number)[] {
  if (Array.isArray(value)) return value.map((_, i) => i);
  if (value !== null && typeof value === "object") return Object.keys(value);
  return [];
}

/** `base` with 1 to `max` structural edits, serialized. */
export function editedJson(base: Json, max = 3): Arbitrary<string> {
  const edit: Arbitrary<Edit> = fc.record({
    depth: fc.array(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), { minLength: 1, maxLength: 4 }),
    kind: fc.constantFrom("replace", "delete", "add"),
    key: fc.oneof(fc.constantFrom("__proto__", "constructor", "type", "vocab", "merges", "dropout", "<unk>"), fc.string({ maxLength: 5 })),
    value: hostileValue,
  });
  return fc.array(edit, { minLength: 1, maxLength: max }).map((edits) => JSON.stringify(edits.reduce(applyEdit, base)));
}

export type { Json };
