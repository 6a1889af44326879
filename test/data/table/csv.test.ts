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
    expect(encoding.numeric[0]).toEqual({ column: "height", mean: 3, std, missingIndicator: false });
    // A constant column keeps std 1 so it maps to zeros, not NaN, and says so.
    expect(encoding.numeric[1]).toEqual({ column: "weight", mean: 10, std: 1, missingIndicator: false });
    expect(ds.warnings).toEqual([`${file}: column "weight" is constant (10) in the training rows; it encodes as zeros`]);
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
    // A level the training rows never had is all zeros, with a warning naming where it first is.
    const unseen = write("unseen.csv", "id,height,color,weight,species\n9,3.0,red,12,c\n9,3.0,purple,12,c\n8,1,purple,1,a\n");
    const encoded = csvDataset(unseen, { labelColumn: "species", ignore: ["id"], encoding: train.encoding });
    expect(Array.from(encoded.get(1).fields.row as Float32Array).slice(2)).toEqual([0, 0, 0]);
    expect(Array.from(encoded.get(0).fields.row as Float32Array).slice(2)).toEqual([0, 0, 1]);
    expect(encoded.warnings).toEqual([`${unseen}:3: column "color" has level "purple" unseen in the training data (2 rows); encoded as all zeros`]);
    const badLabel = write("bad-label.csv", "id,height,color,weight,species\n9,3.0,red,12,z\n");
    expect(() => csvDataset(badLabel, { encoding: train.encoding })).toThrow(`${badLabel}:2: label "z" in column "species" is not one of the known classes (a, b, c)`);
    const lacking = write("lacking.csv", "id,height,weight,species\n9,3.0,12,a\n");
    expect(() => csvDataset(lacking, { encoding: train.encoding })).toThrow(`${lacking}: no categorical column "color", which the training data had`);
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

  it("infers column types, with overrides; a number forced numeric names file:line and the value", () => {
    const file = write("types.csv", "a,b,zip\n1,2,01\n3,x,02\n5,y,01\n");
    const ds = csvDataset(file);
    expect(ds.encoding.features).toEqual(["a", "zip", "b=2", "b=x", "b=y"]);
    expect(csvDataset(file, { categorical: ["zip"] }).encoding.features).toEqual(["a", "b=2", "b=x", "b=y", "zip=01", "zip=02"]);
    expect(() => csvDataset(file, { numeric: ["b"] })).toThrow(`${file}:3: column "b" has non-numeric value "x"; it is given as numeric`);
    expect(() => csvDataset(file, { numeric: ["a"], categorical: ["a"] })).toThrow(`${file}: column "a" is given as both numeric and categorical`);
    // a test file with text where the training data had numbers
    const test = write("types-test.csv", "a,b,zip\n1,2,oops\n");
    expect(() => csvDataset(test, { encoding: ds.encoding })).toThrow(`${test}:2: column "zip" has non-numeric value "oops"; the training data had numbers there`);
  });

  it("imputes a missing number with the training mean and adds a missing indicator; a missing category is its own level", () => {
    const file = write("missing.csv", "x,y,c\n1,,a\n3,4,NA\n?,6,b\n");
    const ds = csvDataset(file);
    expect(ds.encoding.features).toEqual(["x", "y", "x (missing)", "y (missing)", "c=a", "c=b", "c=(missing)"]);
    expect(ds.encoding.numeric.map((s) => [s.mean, s.missingIndicator])).toEqual([[2, true], [5, true]]);
    const rows = [0, 1, 2].map((i) => Array.from(ds.get(i).fields.row as Float32Array));
    expect(rows[0]).toEqual([-1, 0, 0, 1, 1, 0, 0]);
    expect(rows[1]).toEqual([1, -1, 0, 0, 0, 0, 1]);
    expect(rows[2]).toEqual([0, 1, 1, 0, 0, 1, 0]);
    // At test time a missing value is the mean again; without a missing slot it is just the mean.
    const test = write("missing-test.csv", "x,y,c\n,,\n");
    expect(Array.from(csvDataset(test, { encoding: ds.encoding }).get(0).fields.row as Float32Array)).toEqual([0, 0, 1, 1, 0, 0, 1]);
  });

  it("leaves out a column missing in every row, with a warning, and refuses a categorical with too many levels", () => {
    const file = write("all-missing.csv", "a,b\n1,\n2,NA\n");
    const ds = csvDataset(file);
    expect(ds.encoding.features).toEqual(["a"]);
    expect(ds.warnings).toEqual([`${file}: column "b" is missing in every row; it is left out`]);
    const wide = write("levels.csv", `id,v\n${Array.from({ length: 30 }, (_, i) => `u${i},${i}`).join("\n")}\n`);
    expect(() => csvDataset(wide, { maxLevels: 20 })).toThrow(`${wide}:22: column "id" has more than 20 distinct levels, too many to one-hot encode (an id or free text?); ignore it, or give it as numeric`);
    expect(csvDataset(wide, { maxLevels: 20, ignore: ["id"] }).encoding.features).toEqual(["v"]);
  });

  it("lists the columns when the label column is missing, and rejects empty files", () => {
    const file = write("cols.csv", "a,b\n1,2\n");
    expect(() => csvDataset(file, { labelColumn: "label" })).toThrow(`${file}:1: no label column "label"; columns are: a, b`);
    const unlabeled = write("no-label.csv", "a,b\n1,2\n3,\n");
    expect(() => csvDataset(unlabeled, { labelColumn: "b" })).toThrow(`${unlabeled}:3: missing label in column "b"`);
    expect(() => csvDataset(file, { categorical: ["c"] })).toThrow(`${file}:1: no categorical column "c"; columns are: a, b`);
    const headerOnly = write("header.csv", "a,b\n");
    expect(() => csvDataset(headerOnly)).toThrow(`${headerOnly}: no data rows after the header`);
    const quote = write("quote.csv", 'a,b\n1,"2\n');
    expect(() => csvDataset(quote)).toThrow(`${quote}:2: Quote Not Closed`);
  });
});
