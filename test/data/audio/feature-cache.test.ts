import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BYOL_A_FEATURES, clipFrames } from "../../../src/data/audio/audio-features.js";
import { LogMelCache, contentDigest, defaultAudioCacheDir } from "../../../src/data/audio/feature-cache.js";
import { featurizeFile, featurizeWav } from "../../../src/data/audio/featurize-clip.js";
import { encodeWav } from "../../../src/data/audio/wav.js";

const root = mkdtempSync(join(tmpdir(), "pretext-cache-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const SIZE = BYOL_A_FEATURES.mels * clipFrames(BYOL_A_FEATURES);

function clip(seed: number, rate = 22050): Uint8Array {
  return encodeWav(Float32Array.from({ length: Math.round(rate * 0.4) }, (_, i) => 0.3 * Math.sin(i * (0.01 + seed * 0.003)) + 0.01 * Math.sin(i * 1.7)), rate);
}

describe("the log-mel cache", () => {
  it("lives in $PRETEXT_CACHE_DIR/audio, else $XDG_CACHE_HOME/pretext/audio, else ~/.cache/pretext/audio", () => {
    expect(defaultAudioCacheDir({ PRETEXT_CACHE_DIR: "/c", XDG_CACHE_HOME: "/x" })).toBe(join("/c", "audio"));
    expect(defaultAudioCacheDir({ XDG_CACHE_HOME: "/x" })).toBe(join("/x", "pretext", "audio"));
    expect(defaultAudioCacheDir({})).toMatch(/\.cache[/\\]pretext[/\\]audio$/);
  });

  it("misses, stores, then hits; the same bytes under another name hit too", () => {
    const cacheRoot = join(root, "hits");
    const cache = new LogMelCache(cacheRoot, BYOL_A_FEATURES);
    const a = join(root, "a.wav");
    const renamed = join(root, "renamed.wav");
    writeFileSync(a, clip(1));
    writeFileSync(renamed, clip(1));
    expect(cache.read(contentDigest(clip(1))).hit).toBe(false);

    const first = featurizeFile(a, BYOL_A_FEATURES, cache);
    expect(first.ok && !first.cached).toBe(true);
    const second = featurizeFile(renamed, BYOL_A_FEATURES, cache);
    expect(second.ok && second.cached).toBe(true);
    if (!first.ok || !second.ok) throw new Error("unreachable");
    expect(second.values).toEqual(first.values);
    expect(first.values).toEqual(featurizeWav(clip(1), "a.wav", BYOL_A_FEATURES));
    expect(first.values.length).toBe(SIZE);

    // other features are other entries
    const other = new LogMelCache(cacheRoot, { ...BYOL_A_FEATURES, mels: 40 });
    expect(other.dir).not.toBe(cache.dir);
    const miss = featurizeFile(a, other.features, other);
    expect(miss.ok && !miss.cached && miss.values.length === 40 * 101).toBe(true);
  });

  it("recomputes a corrupt entry (truncated, damaged, another shape) and overwrites it, never failing", () => {
    const cache = new LogMelCache(join(root, "corrupt"), BYOL_A_FEATURES);
    const file = join(root, "b.wav");
    writeFileSync(file, clip(2));
    const digest = contentDigest(clip(2));
    const good = featurizeFile(file, BYOL_A_FEATURES, cache);
    if (!good.ok) throw new Error(good.reason);
    const entry = cache.entryPath(digest);
    const whole = readFileSync(entry);

    const damages: ((b: Buffer) => Buffer)[] = [
      (b) => b.subarray(0, b.length - 7), // truncated
      (b) => {
        const c = Buffer.from(b);
        c[100] = (c[100] as number) ^ 0x40; // one bit flipped in the values
        return c;
      },
      (b) => {
        const c = Buffer.from(b);
        c.writeUInt32LE(65, 8); // says 65 mels
        return c;
      },
      () => Buffer.from("garbage"),
      () => Buffer.alloc(0),
    ];
    for (const damage of damages) {
      writeFileSync(entry, damage(whole));
      const lookup = cache.read(digest);
      expect(lookup).toEqual({ hit: false, corrupt: true });
      const again = featurizeFile(file, BYOL_A_FEATURES, cache);
      expect(again.ok && !again.cached && again.corruptEntry).toBe(true);
      if (again.ok) expect(again.values).toEqual(good.values);
      expect(readFileSync(entry)).toEqual(whole);
      expect(cache.read(digest).hit).toBe(true);
    }
  });

  it("reports a cache that cannot be written and still returns the features", () => {
    const blocker = join(root, "not-a-folder");
    writeFileSync(blocker, "a file where the cache folder should be");
    const cache = new LogMelCache(blocker, BYOL_A_FEATURES);
    const file = join(root, "c.wav");
    writeFileSync(file, clip(3));
    const result = featurizeFile(file, BYOL_A_FEATURES, cache);
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.cached).toBe(false);
      expect(result.cacheError).toMatch(/ENOTDIR|EEXIST/);
    }
  });

  it("gives unreadable files a reason instead of throwing", () => {
    const bad = join(root, "bad.wav");
    writeFileSync(bad, clip(4).subarray(0, 100));
    const cache = new LogMelCache(join(root, "bad-cache"), BYOL_A_FEATURES);
    expect(featurizeFile(bad, BYOL_A_FEATURES, cache)).toEqual({ ok: false, reason: expect.stringMatching(/^truncated: the data chunk declares/) });
    expect(featurizeFile(join(root, "absent.wav"), BYOL_A_FEATURES, cache)).toEqual({ ok: false, reason: "no such file" });
  });
});
