import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { loadIdx } from "../../../src/data/image/idx.js";
import type { FuzzTarget } from "../fuzz-target.js";
import { BOUNDARY_U32, mutated } from "../mutate.js";

/** Known dtype codes and a few that are not; a dimension is small (so the payload can match) or a boundary value. */
const dtype = fc.oneof(fc.constantFrom(0x08, 0x09, 0x0b, 0x0c, 0x0d, 0x0e), fc.integer({ min: 0, max: 255 }));
const dim = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 6 }) }, fc.constantFrom(...BOUNDARY_U32));
const WIDTH: Readonly<Record<number, number>> = { 0x08: 1, 0x09: 1, 0x0b: 2, 0x0c: 4, 0x0d: 4, 0x0e: 8 };

/** An IDX header and a payload of the size the dims declare (capped), give or take a few bytes. */
const structured = fc
  .record({ dtype, dims: fc.array(dim, { minLength: 0, maxLength: 5 }), slack: fc.integer({ min: -3, max: 3 }), fill: fc.integer({ min: 0, max: 255 }) })
  .map(({ dtype, dims, slack, fill }) => {
    const declared = dims.reduce((a, b) => a * b, 1) * (WIDTH[dtype] ?? 1);
    const payload = Math.max(0, Math.min(declared, 4096) + slack);
    const out = new Uint8Array(4 + 4 * dims.length + payload).fill(fill);
    out[0] = 0;
    out[1] = 0;
    out[2] = dtype;
    out[3] = dims.length;
    const view = new DataView(out.buffer);
    dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
    return out;
  });

/** A well-formed 3-D image file to damage. */
const valid = fc.record({ n: fc.integer({ min: 1, max: 4 }), h: fc.integer({ min: 1, max: 5 }), w: fc.integer({ min: 1, max: 5 }) }).chain(({ n, h, w }) =>
  fc.uint8Array({ minLength: n * h * w, maxLength: n * h * w }).map((values) => {
    const out = new Uint8Array(16 + values.length);
    const view = new DataView(out.buffer);
    view.setUint32(0, 0x0803, false);
    [n, h, w].forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
    out.set(values, 16);
    return out;
  }),
);

const bytes = fc.oneof(structured, mutated(valid), fc.uint8Array({ maxLength: 64 }));

/** IDX images (optionally gzipped, optionally with a labels file that is itself fuzzed) through `loadIdx`, as `pretrain --data` reads them. */
export const idxTarget: FuzzTarget<{ images: Uint8Array; gzip: boolean; labels: Uint8Array | null }> = {
  name: "idx",
  arbitrary: fc.record({ images: bytes, gzip: fc.boolean(), labels: fc.option(bytes, { freq: 3 }) }),
  prepare: ({ images, gzip, labels }, dir) => {
    const file = join(dir, "fuzz-images-idx3-ubyte");
    writeFileSync(file, gzip ? gzipSync(images) : images);
    const labelsFile = join(dir, "fuzz-labels-idx1-ubyte");
    if (labels !== null) writeFileSync(labelsFile, labels);
    return { source: "fuzz-", read: () => loadIdx(file, labels === null ? {} : { labels: labelsFile }) };
  },
};
