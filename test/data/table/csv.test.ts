import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { csvDataset } from "../../../src/data/table/csv.js";
import { DataLoader } from "../../../src/data/loader.js";

const dir = mkdtempSync(join(tmpdir(), "pretext-csv-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const table = ["id,height,color,weight,species", "1,1.0,red,10,b", "2,2.0,blue,10,a", "3,3.0,red,10,c", "", "4,6.0,green,10,a", ""].join("\n");

describe("CSV tables", () => {
  it("standardizes numeric columns, one-hot encodes categorical ones and labels by column name", () => {
    const file = write("table.csv", table);
    const ds = csvDataset(file, { labelColumn: "species", categorical: ["color"], ignore: ["id"] });
    const { encoding } = ds;
    expect(encoding.features).toEqual(["height", "weight", "color=blue", "color=green", "color=red"]);
    expect(ds.spec.fields.row?.shape).toEqual([5]);
    expect(ds.length).toBe(4);
    // height: mean 3, population std sqrt((4 + 1 + 0 + 9) / 4).
    const std = Math.sqrt(14 / 4);
    expect(encoding.numeric[0]).toEqual({ column: "height", mean: 3, std });
    // A constant column keeps std 1 so it maps to zeros, not NaN.
    expect(encoding.numeric[1]).toEqual({ column: "weight", mean: 10, std: 1 });
    expect(encoding.categorical).toEqual([{ column: "color", categories: ["blue", "green", "red"] }]);
    expect(encoding.classNames).toEqual(["a", "b", "c"]);
    expect(Array.from(ds.labels as Int32Array)).toEqual([1, 0, 2, 0]);
    expect(ds.numClasses).toBe(3);
    expect(Array.from(ds.get(3).fields.row as Float32Array)).toEqual([Math.fround(3 / std), 0, 0, 1, 0]);
    expect(Array.from(ds.get(1).fields.row as Float32Array)).toEqual([Math.fround(-1 / std), 0, 1, 0, 0]);

    // Rows are the table modality's `row: float32[D]`, batched as they are.
    expect(ds.spec.modality).toBe("table");
    const batch = new DataLoader(ds, { batchSize: 2, shuffle: false }).next();
    expect(batch.fields.row?.shape).toEqual([2, 5]);
    expect(Array.from(batch.labels ?? [])).toEqual([1n, 0n]);
  });

  it("encodes a second file with the first one's statistics and categories", () => {
    const train = csvDataset(write("train.csv", table), { labelColumn: "species", categorical: ["color"], ignore: ["id"] });
    const test = csvDataset(write("test.csv", "id,height,color,weight,species\n9,3.0,green,12,c\n"), {
      labelColumn: "species",
      categorical: ["color"],
      ignore: ["id"],
      encoding: train.encoding,
    });
    expect(test.encoding).toEqual(train.encoding);
    expect(Array.from(test.get(0).fields.row as Float32Array)).toEqual([0, 2, 0, 1, 0]);
    expect(test.get(0).label).toBe(2);
    const unseen = write("unseen.csv", "id,height,color,weight,species\n9,3.0,purple,12,c\n");
    expect(() => csvDataset(unseen, { labelColumn: "species", categorical: ["color"], ignore: ["id"], encoding: train.encoding })).toThrow(
      `${unseen}:2: column "color" has category "purple" unseen in the encoding`,
    );
  });

  it("works unlabeled and sorts numeric class names numerically", () => {
    const file = write("plain.csv", "x,y\n1,9\n2,10\n3,9\n");
    expect(csvDataset(file).labels).toBeUndefined();
    expect(csvDataset(file).spec.fields.row?.shape).toEqual([2]);
    const labeled = csvDataset(file, { labelColumn: "y" });
    expect(labeled.encoding.classNames).toEqual(["9", "10"]);
    expect(Array.from(labeled.labels as Int32Array)).toEqual([0, 1, 0]);
  });

  it("names file:line for a ragged row", () => {
    const file = write("ragged.csv", "a,b,c\n1,2,3\n\n4,5\n");
    expect(() => csvDataset(file)).toThrow(`${file}:4: ragged row: expected 3 fields (columns are: a, b, c), got 2`);
    const long = write("long.csv", "a,b\n1,2,3\n");
    expect(() => csvDataset(long)).toThrow(`${long}:2: ragged row: expected 2 fields`);
  });

  it("names file:line:column and the value for a non-numeric or empty numeric value", () => {
    const file = write("text.csv", "a,b\n1,2\n3,n/a\n");
    expect(() => csvDataset(file)).toThrow(`${file}:3: column "b" has non-numeric value "n/a"; numeric columns need numbers`);
    const empty = write("empty-value.csv", "a,b\n1,\n");
    expect(() => csvDataset(empty)).toThrow(`${empty}:2: column "b" has an empty value`);
  });

  it("lists the columns when the label column is missing, and rejects empty files", () => {
    const file = write("cols.csv", "a,b\n1,2\n");
    expect(() => csvDataset(file, { labelColumn: "label" })).toThrow(`${file}: no label column "label"; columns are: a, b`);
    expect(() => csvDataset(file, { categorical: ["c"] })).toThrow(`${file}: no categorical column "c"; columns are: a, b`);
    const headerOnly = write("header.csv", "a,b\n");
    expect(() => csvDataset(headerOnly)).toThrow(`${headerOnly}: no data rows after the header`);
    const quote = write("quote.csv", 'a,b\n1,"2\n');
    expect(() => csvDataset(quote)).toThrow(`${quote}:2: Quote Not Closed`);
  });
});
