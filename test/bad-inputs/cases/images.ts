import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import sharp from "sharp";
import { expect } from "vitest";
import { imageFolderDataset } from "../../../src/data/image/image-folder.js";
import type { Dataset } from "../../../src/data/dataset.js";
import { type BadInput, OUT } from "../bad-input.js";

const FOLDER = "photos";

/** A small real image (a gradient), encoded by sharp. */
async function image(format: "png" | "jpeg" | "gif" | "webp", width = 8, height = 8, channels: 1 | 3 = 3): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * channels);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 37) % 256;
  return sharp(raw, { raw: { width, height, channels } }).toFormat(format).toBuffer();
}

/** A PNG with a valid signature and IHDR (its CRC right) claiming `width` × `height`, and one tiny IDAT. */
function pngClaiming(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // grayscale
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr), chunk("IDAT", deflateSync(Buffer.alloc(64))), chunk("IEND", Buffer.alloc(0))]);
}

function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

/** A two-frame animated GIF, joined by sharp. */
async function animatedGif(): Promise<Buffer> {
  const frame = (v: number) => sharp(Buffer.alloc(8 * 8 * 3, v), { raw: { width: 8, height: 8, channels: 3 } }).png().toBuffer();
  return sharp([await frame(10), await frame(250)], { join: { animated: true } }).gif({ loop: 0 }).toBuffer();
}

/** Writes `files` (path → bytes) under dir/photos. */
function folder(files: Record<string, () => Buffer | Promise<Buffer>>) {
  return async (dir: string) => {
    for (const [path, make] of Object.entries(files)) {
      const full = join(dir, FOLDER, path);
      mkdirSync(join(full, ".."), { recursive: true });
      writeFileSync(full, await make());
    }
  };
}

const pretrain = (dir: string) => ["pretrain", "--method", "simclr", "--data", join(dir, FOLDER), "--batch-size", "2", "--epochs", "1", "--out", join(dir, OUT), "--quiet"];
/** The views grid reads the whole folder and writes one PNG: the CLI command of the cases that must be read. */
const views = (dir: string) => ["views", "--method", "simclr", "--data", join(dir, FOLDER), "--out", join(dir, "views.png"), "--count", "2"];
const load = (dir: string) => imageFolderDataset(join(dir, FOLDER), { size: [28, 28], channels: 1 }).then((d) => d.materialize());

function refused(name: string, files: BadInput["files"], message: RegExp, extra: Partial<BadInput> = {}): BadInput {
  return { reader: "image-folder", name, files, cli: pretrain, library: load, message, ...extra };
}

/** A case of valid but unusual images: every pixel decoded into [0, 1]. */
function read(name: string, files: BadInput["files"]): BadInput {
  return {
    reader: "image-folder",
    name,
    files,
    cli: views,
    library: load,
    message: /./,
    read: {
      check: (value) => {
        const d = value as Dataset;
        expect(d.length).toBeGreaterThan(0);
        const x = d.get(0).fields.image as Float32Array;
        expect(x.length).toBe(28 * 28);
        expect(x.every((v) => v >= 0 && v <= 1)).toBe(true);
      },
    },
  };
}

const isRoot = process.getuid?.() === 0;

export const imageCases: readonly BadInput[] = [
  refused("a text file named .png", folder({ "a/x.png": async () => Buffer.from("this is not an image\n"), "b/y.png": () => image("png") }), /photos\/a\/x\.png: unreadable image/),
  refused("a zero-byte .jpg", folder({ "a/x.jpg": () => Buffer.alloc(0), "b/y.png": () => image("png") }), /photos\/a\/x\.jpg: unreadable image/),
  refused("a truncated PNG", folder({ "a/x.png": async () => (await image("png", 64, 64)).subarray(0, 60), "b/y.png": () => image("png") }), /photos\/a\/x\.png: unreadable image/),
  refused("a truncated JPEG", folder({ "a/x.jpg": async () => (await image("jpeg", 64, 64)).subarray(0, 300), "b/y.png": () => image("png") }), /photos\/a\/x\.jpg: unreadable image/),
  // 100,000 × 100,000 pixels claimed in a 100-byte file: refused by the pixel limit, not decoded into 10 GB.
  refused("huge dimensions claimed (100000 x 100000)", folder({ "a/x.png": () => pngClaiming(100_000, 100_000), "b/y.png": () => image("png") }), /photos\/a\/x\.png: unreadable image.*(pixel limit|exceeds)/i),
  refused("an empty folder", (dir) => mkdirSync(join(dir, FOLDER)), /photos: empty folder/),
  refused("a class folder with no images", folder({ "a/x.png": () => image("png"), "b/notes.pdf": async () => Buffer.from("%PDF-1.4") }), /photos\/b: class folder has no images/),
  refused("images beside class folders", folder({ "x.png": () => image("png"), "b/y.png": () => image("png") }), /photos: holds both images \(e\.g\. x\.png\) and class folders/),
  refused(
    "a symlink loop among the class folders",
    async (dir) => {
      await folder({ "a/x.png": () => image("png"), "b/y.png": () => image("png") })(dir);
      symlinkSync("..", join(dir, FOLDER, "a", "loop"));
    },
    /photos\/a\/loop.*(symbolic link loop|links back)/,
  ),
  refused(
    "a folder named like an image",
    async (dir) => {
      await folder({ "a/x.png": () => image("png") })(dir);
      mkdirSync(join(dir, FOLDER, "b", "y.png", "z"), { recursive: true });
    },
    /photos\/b: class folder has no images/,
  ),
  refused(
    "an unreadable file (permissions)",
    async (dir) => {
      await folder({ "a/x.png": () => image("png"), "b/y.png": () => image("png") })(dir);
      chmodSync(join(dir, FOLDER, "a", "x.png"), 0o000);
    },
    /photos\/a\/x\.png: unreadable image.*(permission|EACCES)/i,
    isRoot ? { skip: "root reads files whatever their permissions" } : {},
  ),
  read("a CMYK JPEG", folder({ "x.jpg": () => sharp(Buffer.alloc(8 * 8 * 3, 90), { raw: { width: 8, height: 8, channels: 3 } }).toColourspace("cmyk").jpeg().toBuffer() })),
  read("a 16-bit PNG", folder({ "x.png": () => sharp(Buffer.alloc(8 * 8 * 2, 0x7f), { raw: { width: 8, height: 8, channels: 1, premultiplied: false } }).toColourspace("grey16").png().toBuffer() })),
  read("an animated GIF (its first frame)", folder({ "x.gif": animatedGif })),
  read("a 1 x 1 pixel image", folder({ "x.png": () => image("png", 1, 1, 1) })),
  read("a PNG with alpha and a WebP", folder({ "x.png": () => sharp(Buffer.alloc(4 * 4 * 4, 200), { raw: { width: 4, height: 4, channels: 4 } }).png().toBuffer(), "y.webp": () => image("webp") })),
];
