import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { basename, dirname, join } from "node:path";
import { writeFileAtomic } from "../../io/write-atomic.js";
import { type AudioFeatures, clipFrames, featuresKey } from "./audio-features.js";

/**
 * Where log-mel features are cached unless told otherwise: `$PRETEXT_CACHE_DIR/audio` when that
 * is set (pretext's cache root, for machines whose home is small or read-only), else
 * `$XDG_CACHE_HOME/pretext/audio`, else `~/.cache/pretext/audio`.
 */
export function defaultAudioCacheDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const root = env.PRETEXT_CACHE_DIR;
  if (root !== undefined && root !== "") return join(root, "audio");
  const xdg = env.XDG_CACHE_HOME;
  return join(xdg !== undefined && xdg !== "" ? xdg : join(homedir(), ".cache"), "pretext", "audio");
}

/** The SHA-1 of a file's bytes, hex: the cache's name for the clip whatever its path. */
export function contentDigest(bytes: Uint8Array): string {
  return createHash("sha1").update(bytes).digest("hex");
}

/** What a lookup found: the spectrogram, or why there was none. */
export type CacheLookup = { readonly hit: true; readonly values: Float32Array } | { readonly hit: false; readonly corrupt: boolean };

/**
 * Log-mel spectrograms of clips on disk, one file per clip, keyed by the SHA-1 of the clip's
 * bytes and by `featuresKey(features)`: entries live in `<root>/<hash of the features key>/`
 * (beside a `features.json` naming them), so a moved or renamed file is still a hit and other
 * features never collide. An entry is a 20-byte header (magic, version, mels, frames, checksum)
 * and the float32 values in the machine's byte order (little-endian wherever Node runs in
 * practice); one that does not check out (truncated, damaged, another shape) is a
 * miss, recomputed and overwritten, never an error.
 */
export class LogMelCache {
  /** The folder of this features' entries. */
  readonly dir: string;
  readonly features: AudioFeatures;
  readonly #mels: number;
  readonly #frames: number;
  /** Entry folders known to exist, so a write costs no mkdir. */
  readonly #madeDirs = new Set<string>();

  constructor(root: string, features: AudioFeatures) {
    const key = featuresKey(features);
    this.dir = join(root, createHash("sha1").update(key).digest("hex").slice(0, 16));
    this.features = features;
    this.#mels = features.mels;
    this.#frames = clipFrames(features);
  }

  /** The path of a clip's entry. */
  entryPath(digest: string): string {
    return join(this.dir, digest.slice(0, 2), `${digest}.logmel`);
  }

  /**
   * The cached spectrogram of the clip whose bytes have `digest`, or a miss (corrupt when an
   * entry was there but unusable). Synchronous, as `write`: an entry is 26 kB, and a round trip
   * through libuv's thread pool cost more than the read itself on a busy machine.
   */
  read(digest: string): CacheLookup {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(this.entryPath(digest));
    } catch {
      return { hit: false, corrupt: false };
    }
    const values = this.#decode(bytes);
    return values === null ? { hit: false, corrupt: true } : { hit: true, values };
  }

  /** Stores a clip's spectrogram (`mels × frames` values), atomically: a reader sees the old entry or the new one. */
  write(digest: string, values: Float32Array): void {
    if (values.length !== this.#mels * this.#frames) throw new Error(`LogMelCache: ${values.length} values, [${this.#mels}, ${this.#frames}] needs ${this.#mels * this.#frames}`);
    const bytes = new Uint8Array(HEADER_BYTES + values.byteLength);
    const header = new DataView(bytes.buffer);
    header.setUint32(0, MAGIC, true);
    header.setUint32(4, VERSION, true);
    header.setUint32(8, this.#mels, true);
    header.setUint32(12, this.#frames, true);
    bytes.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), HEADER_BYTES);
    header.setUint32(16, checksum(new Uint32Array(values.buffer, values.byteOffset, values.length)), true);
    const path = this.entryPath(digest);
    const dir = dirname(path);
    if (!this.#madeDirs.has(dir)) {
      mkdirSync(dir, { recursive: true });
      this.#madeDirs.add(dir);
    }
    renameIntoPlace(path, bytes);
  }

  /** Writes `features.json` beside the entries (what they were computed with, for people), once. */
  async describe(): Promise<void> {
    const path = join(this.dir, "features.json");
    try {
      await readFile(path);
    } catch {
      await writeFileAtomic(path, `${JSON.stringify({ key: featuresKey(this.features), features: this.features }, null, 1)}\n`);
    }
  }

  #decode(bytes: Uint8Array): Float32Array | null {
    const count = this.#mels * this.#frames;
    if (bytes.length !== HEADER_BYTES + 4 * count) return null;
    const header = new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES);
    if (header.getUint32(0, true) !== MAGIC || header.getUint32(4, true) !== VERSION) return null;
    if (header.getUint32(8, true) !== this.#mels || header.getUint32(12, true) !== this.#frames) return null;
    // copied out: the file's buffer may not be 4-byte aligned at the payload, and the values outlive it
    const values = new Float32Array(count);
    new Uint8Array(values.buffer).set(bytes.subarray(HEADER_BYTES));
    if (header.getUint32(16, true) !== checksum(new Uint32Array(values.buffer))) return null;
    for (let i = 0; i < count; i++) if (!Number.isFinite(values[i] as number)) return null;
    return values;
  }
}

/** "PTLM" read as a little-endian uint32. */
const MAGIC = 0x4d4c5450;
const VERSION = 1;
const HEADER_BYTES = 20;

/** FNV-1a over 32-bit words: catches truncation and damage (a cache needs no cryptographic check). */
function checksum(words: Uint32Array): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < words.length; i++) hash = Math.imul(hash ^ (words[i] as number), 0x01000193);
  return hash >>> 0;
}

/**
 * Writes `bytes` to a temp file beside `path`, then renames it over `path`: readers see the old
 * entry or the new one, never half of one.
 *
 * NOTE: unlike `writeFileAtomic`, without an fsync: that took 2.5 ms an entry, more than
 * computing it, and a cache needs no durability: an entry torn by a crash fails its checksum
 * and is recomputed.
 */
function renameIntoPlace(path: string, bytes: Uint8Array): void {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`);
  try {
    writeFileSync(temp, bytes);
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}
