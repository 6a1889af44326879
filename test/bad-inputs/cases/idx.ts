import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { loadIdx, readIdx } from "../../../src/data/image/idx.js";
import { type BadInput, OUT } from "../bad-input.js";

/** IDX bytes: magic `00 00 dtype ndim`, big-endian dims, then `payload` as given (not checked against the dims). */
export function idxBytes(dtype: number, dims: readonly number[], payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + payload.length);
  const view = new DataView(out.buffer);
  out[2] = dtype;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(payload, 4 + 4 * dims.length);
  return out;
}

const IMAGES = "train-images-idx3-ubyte";
const LABELS = "train-labels-idx1-ubyte";
const goodImages = (n = 4) => idxBytes(0x08, [n, 2, 2], new Uint8Array(n * 4).fill(7));
const goodLabels = (n = 4) => idxBytes(0x08, [n], new Uint8Array(n).fill(1));

/** `pretext pretrain` on `dir/<name>`: the data is read before anything is written. */
const pretrain = (file: string) => (dir: string) => ["pretrain", "--method", "simclr", "--data", join(dir, file), "--batch-size", "2", "--epochs", "1", "--out", join(dir, OUT), "--quiet"];
const images = (bytes: Uint8Array, labels?: Uint8Array) => (dir: string) => {
  writeFileSync(join(dir, IMAGES), bytes);
  if (labels !== undefined) writeFileSync(join(dir, LABELS), labels);
};

function idxCase(name: string, files: BadInput["files"], message: RegExp, labels = false): BadInput {
  return {
    reader: "idx",
    name,
    files,
    cli: pretrain(IMAGES),
    library: (dir) => loadIdx(join(dir, IMAGES), labels ? { labels: join(dir, LABELS) } : {}),
    message,
  };
}

export const idxCases: readonly BadInput[] = [
  idxCase("wrong magic (a PNG named like IDX)", images(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0])), /train-images-idx3-ubyte.*(not an IDX file|no IDX magic)/),
  idxCase("zero-byte file", images(new Uint8Array(0)), /train-images-idx3-ubyte.*not an IDX file/),
  idxCase("unknown dtype 0x07", images(idxBytes(0x07, [1, 2, 2], new Uint8Array(4))), /train-images-idx3-ubyte.*not an IDX file/),
  idxCase("header truncated inside the dimensions", images(idxBytes(0x08, [4, 2, 2]).subarray(0, 10)), /train-images-idx3-ubyte.*truncated IDX header.*3 dimensions/),
  idxCase("data truncated", images(goodImages().subarray(0, 20)), /train-images-idx3-ubyte.*truncated IDX data.*\[4·2·2\].*needs 16 bytes.*got 4/),
  idxCase("bytes after the data", images(Uint8Array.from([...goodImages(), 1, 2, 3])), /train-images-idx3-ubyte.*3 unexpected bytes after the \[4·2·2\]/),
  idxCase("4-D images", images(idxBytes(0x08, [2, 1, 2, 2], new Uint8Array(8))), /train-images-idx3-ubyte.*3 dimensions \[N, H, W\], got \[2, 1, 2, 2\]/),
  idxCase("2-D images", images(idxBytes(0x08, [4, 4], new Uint8Array(16))), /train-images-idx3-ubyte.*3 dimensions \[N, H, W\], got \[4, 4\]/),
  idxCase("zero images", images(idxBytes(0x08, [0, 28, 28])), /train-images-idx3-ubyte.*empty IDX images \[0, 28, 28\]/),
  // 2^32-1 × 2^32-1 × 255 bytes: refused from the header, before anything of that size is allocated.
  idxCase("absurd dimensions [2^32-1, 2^32-1, 255]", images(idxBytes(0x08, [0xffffffff, 0xffffffff, 255], new Uint8Array(16))), /train-images-idx3-ubyte.*truncated IDX data/),
  idxCase("absurd dimensions in a tiny gzip", images(gzipSync(idxBytes(0x0d, [0xffffffff, 0xffff, 0xffff]))), /train-images-idx3-ubyte.*truncated IDX data/),
  // A gzip bomb: 2 GB of zeros behind a header that claims far fewer values.
  idxCase("gzip bomb (64 MB of zeros behind a 4-image header)", images(gzipSync(Uint8Array.from([...idxBytes(0x08, [4, 2, 2]), ...new Uint8Array(64 << 20)]))), /train-images-idx3-ubyte.*(unexpected bytes|more than)/),
  idxCase("corrupt gzip", images(Uint8Array.from([...gzipSync(goodImages()).subarray(0, 12), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])), /train-images-idx3-ubyte.*(corrupt gzip|truncated)/),
  idxCase("image and label counts disagree", images(goodImages(4), goodLabels(3)), /train-images-idx3-ubyte has 4 images, .*train-labels-idx1-ubyte has 3 labels/, true),
  idxCase("labels of 2 dimensions", images(goodImages(4), idxBytes(0x08, [4, 1], new Uint8Array(4))), /train-labels-idx1-ubyte.*labels of 1 dimension \[N\], got \[4, 1\]/, true),
  idxCase("a negative label", images(goodImages(4), idxBytes(0x09, [4], Uint8Array.from([0, 1, 0xff, 1]))), /train-labels-idx1-ubyte.*label 2 is -1/, true),
  idxCase("a fractional label", images(goodImages(2), idxBytes(0x0d, [2], Uint8Array.from([0x3f, 0x80, 0, 0, 0x3f, 0xc0, 0, 0]))), /train-labels-idx1-ubyte.*label 1 is 1\.5/, true),
  {
    reader: "idx",
    name: "a labels file given as the images",
    files: images(goodLabels(4)),
    cli: pretrain(IMAGES),
    library: (dir) => loadIdx(join(dir, IMAGES)),
    message: /train-images-idx3-ubyte.*labels file/,
  },
  {
    reader: "idx",
    name: "--labels names a file that does not exist",
    files: images(goodImages(4)),
    cli: (dir) => [...pretrain(IMAGES)(dir), "--labels", join(dir, "missing-labels")],
    library: (dir) => readIdx(join(dir, "missing-labels")),
    exit: 2,
    message: /missing-labels.*no such file|ENOENT.*missing-labels/,
  },
];
