import { describe, expect, it } from "vitest";
import type { Dataset } from "../../../src/data/dataset.js";
import { textChunks } from "../../../src/data/text/text-chunks.js";
import { textDatasets, tokenizeCorpus, tokenizeDocuments, trainTokenizer } from "../../../src/data/text/text-datasets.js";
import type { TextSource } from "../../../src/data/text/text-source.js";
import { ArrayTokenStream, TokenWindowDataset } from "../../../src/data/text/token-windows.js";
import { trainByteLevelBpe } from "../../../src/data/text/tokenizer/byte-level-bpe.js";
import { trainCharTokenizer } from "../../../src/data/text/tokenizer/char.js";

const idsOf = (ds: Dataset, i: number): number[] => Array.from(ds.get(i).fields.tokens as BigInt64Array, Number);

describe("tokenizeDocuments", () => {
  const tokenizer = trainCharTokenizer("abcdefgh");
  const enc = (s: string) => Array.from(tokenizer.encode(s));

  it("one sample per document: its first `length` ids, then padding (id 0); labels, classes and their names carried over", () => {
    const docs = { texts: ["abc", "abcdefgh", "h", "defgh"], labels: Int32Array.of(2, 0, 2, 1), classNames: ["x", "y", "z", "unused"] };
    const { dataset, truncated } = tokenizeDocuments(docs, tokenizer, 5);
    expect(dataset.spec).toEqual({ modality: "text", input: "tokens", fields: { tokens: { shape: [5], dtype: "int64" } } });
    expect(dataset.length).toBe(4);
    expect(idsOf(dataset, 0)).toEqual([...enc("abc"), 0, 0]);
    expect(idsOf(dataset, 1)).toEqual(enc("abcde"));
    expect(idsOf(dataset, 2)).toEqual([...enc("h"), 0, 0, 0, 0]);
    expect(idsOf(dataset, 3)).toEqual(enc("defgh")); // exactly the length: not cut
    expect(truncated).toBe(1);
    expect(Array.from(dataset.labels as Int32Array)).toEqual([2, 0, 2, 1]);
    expect(dataset.get(3).label).toBe(1);
    expect(dataset.classNames).toEqual(["x", "y", "z", "unused"]);
    // the names decide the number of classes, a class without documents included
    expect(dataset.numClasses).toBe(4);
  });

  it("unlabeled documents give unlabeled samples; none at all is an error", () => {
    const { dataset } = tokenizeDocuments({ texts: ["ab", ""] }, tokenizer, 3);
    expect(dataset.labels).toBeUndefined();
    expect(dataset.get(0).label).toBeUndefined();
    expect(idsOf(dataset, 1)).toEqual([0, 0, 0]);
    expect(() => tokenizeDocuments({ texts: [] }, tokenizer, 3)).toThrow("no documents to tokenize");
  });
});

describe("textDatasets", () => {
  it("documents: padded samples for both splits, and a warning counting the documents cut", () => {
    const tokenizer = trainCharTokenizer("abcdef ");
    const source: TextSource = {
      kind: "documents",
      name: "toy",
      train: { texts: ["abc", "abcdef abcdef", "a"], labels: Int32Array.of(0, 1, 0), classNames: ["p", "q"] },
      test: { texts: ["fed cba", "b"], labels: Int32Array.of(1, 0), classNames: ["p", "q"] },
      warnings: ["2 invalid UTF-8 sequences replaced"],
    };
    const { train, test, warnings } = textDatasets(source, { tokenizer, length: 4 });
    expect([train.length, test?.length]).toEqual([3, 2]);
    expect(idsOf(train, 0)).toEqual([...tokenizer.encode("abc"), 0]);
    expect(idsOf(test as Dataset, 0)).toEqual(Array.from(tokenizer.encode("fed ")));
    expect(Array.from(test?.labels as Int32Array)).toEqual([1, 0]);
    expect(test?.classNames).toEqual(["p", "q"]);
    expect(warnings).toEqual(["2 invalid UTF-8 sequences replaced", "2 of 5 documents are longer than 4 tokens and were cut; a longer --context keeps more"]);
    // nothing cut, nothing said
    expect(textDatasets(source, { tokenizer, length: 16 }).warnings).toEqual(["2 invalid UTF-8 sequences replaced"]);
  });

  it("a corpus: training windows at every offset, held-out windows at `testStride` (default: non-overlapping), streams stored by name", () => {
    const train = "the cat sat on the mat. ".repeat(4);
    const test = "the mat sat on the cat. ".repeat(2);
    const source: TextSource = { kind: "corpus", name: "toy", train: textChunks(train), test: textChunks(test), warnings: [] };
    const tokenizer = trainCharTokenizer(train);
    const stored: string[] = [];
    const store = (name: "train" | "test", pieces: Iterable<Int32Array>) => {
      const ids = Int32Array.from([...pieces].flatMap((p) => Array.from(p)));
      stored.push(`${name}:${ids.length}`);
      return new ArrayTokenStream(ids);
    };
    const { train: windows, test: held } = textDatasets(source, { tokenizer, length: 9, store });
    const trainIds = Array.from(tokenizer.encode(train));
    const testIds = Array.from(tokenizer.encode(test));
    expect(stored).toEqual([`train:${trainIds.length}`, `test:${testIds.length}`]);
    expect(windows).toBeInstanceOf(TokenWindowDataset);
    expect(windows.length).toBe(trainIds.length - 9 + 1);
    for (const i of [0, 1, 17, windows.length - 1]) expect(idsOf(windows, i)).toEqual(trainIds.slice(i, i + 9));
    expect(held?.length).toBe(Math.floor(testIds.length / 9));
    expect(idsOf(held as Dataset, 2)).toEqual(testIds.slice(18, 27));
    // a causal LM's windows of context + 1 at stride context share one token
    const lm = textDatasets(source, { tokenizer, length: 9, testStride: 8 }).test as Dataset;
    expect(lm.length).toBe(Math.floor((testIds.length - 9) / 8) + 1);
    expect(idsOf(lm, 1)).toEqual(testIds.slice(8, 17));
    // no held-out text, no held-out windows
    expect(textDatasets({ ...source, test: null }, { tokenizer, length: 9 }).test).toBeNull();
  });
});

describe("trainTokenizer", () => {
  // A word repeated only in the held-out text: learning from it would give it its own token.
  const train = "Fellow citizens of the Senate and the House. ".repeat(40);
  const test = "Zyzzogeton quixotry. ".repeat(400);

  it("a BPE learns from the training split only, of a corpus and of documents alike", () => {
    const sources: TextSource[] = [
      { kind: "corpus", name: "c", train: textChunks(train), test: textChunks(test), warnings: [] },
      { kind: "documents", name: "d", train: { texts: [train, train] }, test: { texts: [test, test] }, warnings: [] },
    ];
    for (const source of sources) {
      const tokenizer = trainTokenizer(source, { kind: "bpe", vocabSize: 290 });
      expect(tokenizer.vocabSize).toBe(290);
      // a held-out word stays in bytes (no merge learned from it); a training word is merged
      expect(tokenizer.encode(" Zyzzogeton").length).toBe(11);
      expect(tokenizer.encode(" citizens").length).toBeLessThanOrEqual(2);
    }
    // the same training on both splits does merge the held-out word: the check above can fail
    expect(trainByteLevelBpe([train, test], { vocabSize: 290 }).encode(" Zyzzogeton").length).toBe(1);
  });

  it("a character vocabulary has only the training split's characters", () => {
    const tokenizer = trainTokenizer({ kind: "corpus", name: "c", train: textChunks(train), test: textChunks(test), warnings: [] }, { kind: "char" });
    expect(tokenizer.vocabSize).toBe(6 + new Set(train).size);
    expect(Array.from(tokenizer.encode("Z"))).toEqual([tokenizer.specials.unk]);
  });
});

describe("tokenizeCorpus", () => {
  it("equals encoding the whole text, in one piece or in ~1 MB pieces cut after a newline", () => {
    const tokenizer = trainByteLevelBpe(["Call me Ishmael.\n  Some years ago -- never mind how long\n    precisely.  \n"], { vocabSize: 300 });
    const small = "Call me Ishmael.\nSome years ago.\n";
    expect(Array.from(tokenizeCorpus(textChunks(small), tokenizer))).toEqual(Array.from(tokenizer.encode(small)));
    // past 1 MB the text is encoded in pieces; at the cut, this line ends in spaces and the next
    // is indented, so the split pattern's whitespace run "   \n    " crosses it
    const line = "some years ago never mind how long precisely\n";
    const end = "some years ago   \n";
    let first = line.repeat(Math.floor(((1 << 20) - 100) / line.length));
    first += "x".repeat((1 << 20) - 10 - first.length - end.length) + end;
    const text = `${first}    precisely, having little or no money in my purse\n${line.repeat(10)}`;
    expect(first.length).toBe((1 << 20) - 10);
    const whole = tokenizer.encode(text);
    const pieces = tokenizeCorpus(textChunks(text), tokenizer);
    expect(pieces.length).toBe(whole.length);
    expect(Array.from(pieces.subarray(-40))).toEqual(Array.from(whole.subarray(-40)));
  });
});
