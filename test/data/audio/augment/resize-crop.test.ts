import { describe, expect, it } from "vitest";
import { type ViewContext, randomResizeCrop, resizeCrop, resizeSpectrogram } from "../../../../src/data/audio/augment/index.js";
import { Rng } from "../../../../src/random/rng.js";
import { at, maxAbsDiff, randomClip, reference } from "./helpers.js";

const context: ViewContext = { outFrames: 96, bank: null };

describe("resizing a spectrogram", () => {
  const input = { data: Float32Array.from(reference("resize_input")), mels: 6, frames: 10 };

  it("equals F.interpolate(align_corners=True), bicubic and bilinear", () => {
    for (const mode of ["bicubic", "bilinear"] as const) {
      for (const [h, w] of [[9, 15], [4, 7], [6, 10]] as const) {
        const y = resizeSpectrogram(input, h, w, mode);
        expect([y.mels, y.frames]).toEqual([h, w]);
        expect(maxAbsDiff(y.data, reference(`resize_${mode}_${h}x${w}`)), `${mode} ${h}x${w}`).toBeLessThan(1e-5);
      }
    }
  });

  it("crops a window, reading zeros outside the clip", () => {
    const y = resizeCrop(input, { top: -1, left: 8, height: 3, width: 4 }, 3, 4);
    expect(Array.from(y.data.subarray(0, 4))).toEqual([0, 0, 0, 0]); // band −1
    expect(at(y, 1, 0)).toBe(at(input, 0, 8));
    expect(at(y, 2, 1)).toBe(at(input, 1, 9));
    expect(at(y, 2, 2)).toBe(0);
  });
});

describe("BYOL-A's random resize crop", () => {
  const clip = randomClip(64, 96, 3);

  it("is the identity with scale 1 and no offset (a virtual canvas of the clip's size)", () => {
    const rrc = randomResizeCrop({ virtualCropScale: [1, 1], frequencyScale: [1, 1], timeScale: [1, 1] });
    for (const seed of [1, 2, 3]) expect(maxAbsDiff(rrc.apply(clip, new Rng(seed), context).data, clip.data)).toBeLessThan(1e-5);
    const bilinear = randomResizeCrop({ virtualCropScale: [1, 1], frequencyScale: [1, 1], timeScale: [1, 1], interpolation: "bilinear" });
    expect(maxAbsDiff(bilinear.apply(clip, new Rng(1), context).data, clip.data)).toBeLessThan(1e-5);
  });

  it("keeps the clip's size (or outFrames), replays from the seed and differs across seeds", () => {
    const rrc = randomResizeCrop();
    const a = rrc.apply(clip, new Rng(1), context);
    expect([a.mels, a.frames]).toEqual([64, 96]);
    expect(rrc.apply(clip, new Rng(1), context)).toEqual(a);
    expect(maxAbsDiff(rrc.apply(clip, new Rng(2), context).data, a.data)).toBeGreaterThan(0.5);
    const longer = randomResizeCrop({ outFrames: 101 }).apply(clip, new Rng(1), context);
    expect([longer.mels, longer.frames]).toEqual([64, 101]);
  });

  it("stretches in time by the crop's width: a crop twice the clip shows half of it", () => {
    // frames carry their index: a crop of width w resized to T frames has slope w/T per frame
    const ramp = { data: Float32Array.from({ length: 8 * 40 }, (_, i) => i % 40), mels: 8, frames: 40 };
    const rng = new Rng(8);
    for (let k = 0; k < 20; k++) {
      const y = randomResizeCrop({ virtualCropScale: [1, 1], frequencyScale: [1, 1], timeScale: [0.5, 1] }).apply(ramp, rng, context);
      const slope = (at(y, 3, 39) - at(y, 3, 0)) / 39;
      expect(slope).toBeGreaterThanOrEqual((0.5 * 40 - 1) / 39 - 1e-4);
      expect(slope).toBeLessThanOrEqual(1 + 1e-4);
    }
  });
});
