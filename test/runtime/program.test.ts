import { describe, expect, it } from "vitest";
import { Graph, ShapeError, type Tensor } from "../../src/graph/index.js";
import { add, logicalNot, matmul, mul, relu, sum, where } from "../../src/ops/index.js";
import { type Backend, type HostTensor, Program, float32, float64, hostTensor, int64, jit, nodeBackend, toNumbers, webBackend, workerBackend } from "../../src/runtime/index.js";

async function compileAffine() {
  const g = new Graph();
  const x = g.input("x", [2, 3]);
  const w = g.input("w", [3, 2]);
  const y = add(matmul(x, w), 1);
  return Program.compile(g, { inputs: [x, w], outputs: { y } });
}

const x23 = float32([2, 3], [1, 2, 3, 4, 5, 6]);
const w32 = float32([3, 2], [1, 0, 0, 1, 1, 1]);

describe("Program.run validates its feeds before ONNX Runtime sees them", () => {
  it("runs with the traced shapes and dtypes", async () => {
    const p = await compileAffine();
    const { y } = await p.run({ x: x23, w: w32 });
    expect(toNumbers(y as HostTensor)).toEqual([5, 6, 11, 12]);
    await p.release();
  });

  it("names a missing input with its expected type", async () => {
    const p = await compileAffine();
    await expect(p.run({ x: x23 })).rejects.toThrow(ShapeError);
    await expect(p.run({ x: x23 })).rejects.toThrow('missing feed for input "w" (float32[3, 2])');
    await p.release();
  });

  it("names the input, the expected and the given shape", async () => {
    const p = await compileAffine();
    await expect(p.run({ x: float32([3, 2], [1, 2, 3, 4, 5, 6]), w: w32 })).rejects.toThrow(
      'input "x" expects float32[2, 3], got float32[3, 2]',
    );
    await p.release();
  });

  it("names the input, the expected and the given dtype", async () => {
    const p = await compileAffine();
    await expect(p.run({ x: float64([2, 3], [1, 2, 3, 4, 5, 6]), w: w32 })).rejects.toThrow(
      'input "x" expects float32[2, 3], got float64[2, 3]',
    );
    await p.release();
  });

  it("rejects an unknown input name and lists the known ones", async () => {
    const p = await compileAffine();
    await expect(p.run({ x: x23, w: w32, z: x23 })).rejects.toThrow('unknown input "z"; the inputs are "x", "w"');
    await p.release();
  });

  it("rejects hand-built feeds whose data do not fit their shape or dtype", async () => {
    const p = await compileAffine();
    const short: HostTensor = { dtype: "float32", shape: [2, 3], data: new Float32Array(5) };
    await expect(p.run({ x: short, w: w32 })).rejects.toThrow('input "x": 5 values do not fill shape [2, 3]');
    const wrongArray = { dtype: "float32", shape: [2, 3], data: new Float64Array(6) } as HostTensor;
    await expect(p.run({ x: wrongArray, w: w32 })).rejects.toThrow('input "x": float32 data must be a Float32Array, got a Float64Array');
    await p.release();
  });
});

describe("Program.compile: outputs that are not plain computed values", () => {
  it("fetches an input, a constant, and one tensor under two names", async () => {
    const g = new Graph();
    const x = g.input("x", [2]);
    const c = g.constant([7, 8, 9], [3]);
    const y = relu(x);
    const p = await Program.compile(g, { inputs: [x], outputs: { echo: x, c, y, alsoY: y } });
    const out = await p.run({ x: float32([2], [-1, 2]) });
    expect(toNumbers(out.echo as HostTensor)).toEqual([-1, 2]);
    expect(toNumbers(out.c as HostTensor)).toEqual([7, 8, 9]);
    expect(toNumbers(out.y as HostTensor)).toEqual([0, 2]);
    expect(toNumbers(out.alsoY as HostTensor)).toEqual([0, 2]);
    await p.release();
  });

  it("fetches an input under its own name and a value that also feeds another output", async () => {
    const g = new Graph();
    const x = g.input("x", [2]);
    const h = mul(x, 2);
    const s = sum(h);
    const p = await Program.compile(g, { inputs: [x], outputs: { x, h, s } });
    const out = await p.run({ x: float32([2], [1, 3]) });
    expect(toNumbers(out.x as HostTensor)).toEqual([1, 3]);
    expect(toNumbers(out.h as HostTensor)).toEqual([2, 6]);
    expect(toNumbers(out.s as HostTensor)).toEqual([8]);
    await p.release();
  });

  it("fetches int64 outputs", async () => {
    const g = new Graph();
    const i = g.input("i", [3], "int64");
    const p = await Program.compile(g, { inputs: [i], outputs: { j: add(i, 1) } });
    const out = await p.run({ i: int64([3], [1, 2, 3]) });
    expect(out.j?.dtype).toBe("int64");
    expect(toNumbers(out.j as HostTensor)).toEqual([2, 3, 4]);
    await p.release();
  });

  it("fetches updated state under its input's name (state in, state out)", async () => {
    const g = new Graph();
    const params = g.input("params", [2]);
    const step = g.input("step", [], "int64");
    const p = await Program.compile(g, { inputs: [params, step], outputs: { params: mul(params, 0.5), step: add(step, 1), old: params } });
    const out = await p.run({ params: float32([2], [2, 4]), step: int64([], [7]) });
    expect(Object.keys(out).sort()).toEqual(["old", "params", "step"]);
    expect(toNumbers(out.params as HostTensor)).toEqual([1, 2]);
    expect(toNumbers(out.step as HostTensor)).toEqual([8]);
    expect(toNumbers(out.old as HostTensor)).toEqual([2, 4]);
    await p.release();
  });

  it("fetches under a name that an internal value or a constant already has", async () => {
    const g = new Graph();
    const x = g.input("x", [2]);
    const c = g.constant([1, 1], [2], "float32", "c");
    const hidden = relu(x);
    const y = add(hidden, c);
    // `hidden.name` is an internal node output ("relu_0"), fetched here as a different value.
    const p = await Program.compile(g, { inputs: [x], outputs: { [hidden.name]: y, c: mul(x, 3), h: hidden } });
    const out = await p.run({ x: float32([2], [-1, 2]) });
    expect(toNumbers(out[hidden.name] as HostTensor)).toEqual([1, 3]);
    expect(toNumbers(out.c as HostTensor)).toEqual([-3, 6]);
    expect(toNumbers(out.h as HostTensor)).toEqual([0, 2]);
    await p.release();
  });

  it("refuses an intermediate value declared as an input", async () => {
    const g = new Graph();
    const x = g.input("x", [2]);
    const h = relu(x);
    await expect(Program.compile(g, { inputs: [h], outputs: { y: mul(h, 2) } })).rejects.toThrow("is not an input of this graph");
  });
});

describe("Program.compileRepeated: several steps per call, as one ONNX Loop", () => {
  /** x ← 2x + a per step, fetching the new x (carried) and its sum (per step). */
  async function compileDoubling(backend?: Backend) {
    const g = new Graph();
    const x = g.input("x", [3]);
    const a = g.input("a", [3]);
    const next = add(mul(x, 2), a);
    return Program.compileRepeated(g, { inputs: [x, a], outputs: { x: next, total: sum(next) } }, { steps: 4, carry: { x: "x" } }, backend ? { backend } : {});
  }
  const a = float32([4, 3], [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]);

  it.each([["onnxruntime-node", undefined], ["onnxruntime-web", webBackend], ["a worker thread", workerBackend]] as const)("carries state from step to step and stacks the per-step inputs and outputs (%s)", async (_, backend) => {
    const p = await compileDoubling(backend);
    const three = await p.run({ x: float32([3], [1, 2, 3]), a }, 3);
    // [1,2,3] → [3,5,7] → [8,12,16] → [19,27,35]; the fourth row of `a` is not read
    expect(toNumbers(three.x as HostTensor)).toEqual([19, 27, 35]);
    expect((three.total as HostTensor).shape).toEqual([3]);
    expect(toNumbers(three.total as HostTensor)).toEqual([15, 36, 81]);
    const all = await p.run({ x: float32([3], [1, 2, 3]), a });
    expect(toNumbers(all.total as HostTensor)).toEqual([15, 36, 81, 174]);
    await p.release();
  });

  it("validates the step count and the stacked shapes", async () => {
    const p = await compileDoubling();
    const x = float32([3], [1, 2, 3]);
    await expect(p.run({ x, a }, 5)).rejects.toThrow("run: steps must be an integer from 1 to 4, got 5");
    await expect(p.run({ x, a }, 0)).rejects.toThrow("run: steps must be an integer from 1 to 4, got 0");
    await expect(p.run({ x, a: float32([3], [1, 1, 1]) })).rejects.toThrow('input "a" expects float32[4, 3], got float32[3]');
    await expect(p.run({ x: float32([4, 3]), a })).rejects.toThrow('input "x" expects float32[3], got float32[4, 3]');
    await p.release();
    const plain = await compileAffine();
    await expect(plain.run({ x: x23, w: w32 }, 2)).rejects.toThrow("run: this program runs one step per call");
  });

  it("refuses a carry whose input and output do not match", async () => {
    const g = new Graph();
    const x = g.input("x", [3]);
    const outputs = { x: sum(x), y: mul(x, 2) };
    await expect(Program.compileRepeated(g, { inputs: [x], outputs }, { steps: 2, carry: { x: "x" } })).rejects.toThrow('carried "x" is float32[3] but output "x" is float32[]');
    await expect(Program.compileRepeated(g, { inputs: [x], outputs }, { steps: 2, carry: { x: "z" } })).rejects.toThrow('carried "x" takes output "z", which the program does not fetch');
    await expect(Program.compileRepeated(g, { inputs: [x], outputs }, { steps: 2, carry: { w: "y" } })).rejects.toThrow('carried "w" is not an input of the program');
    await expect(Program.compileRepeated(g, { inputs: [x], outputs }, { steps: 0, carry: { x: "y" } })).rejects.toThrow("a repeated program needs steps >= 1, got 0");
  });
});

describe("feeds and fetches as host memory", () => {
  for (const backend of [nodeBackend, webBackend]) {
    it(`${backend.name}: reads a subarray view at its offset and returns fresh buffers each run`, async () => {
      const g = new Graph();
      const x = g.input("x", [3]);
      const p = await Program.compile(g, { inputs: [x], outputs: { y: mul(x, 2) } }, { backend });
      const flat = Float32Array.from([9, 9, 1, 2, 3, 9]);
      const feed = { x: hostTensor("float32", [3], flat.subarray(2, 5)) };
      const first = await p.run(feed);
      flat[2] = 10;
      const second = await p.run(feed);
      expect(toNumbers(first.y as HostTensor)).toEqual([2, 4, 6]);
      expect(toNumbers(second.y as HostTensor)).toEqual([20, 4, 6]);
      await p.release();
    });

    it(`${backend.name}: bool and int32 feeds and fetches`, async () => {
      const g = new Graph();
      const mask = g.input("mask", [3], "bool");
      const n = g.input("n", [3], "int32");
      const p = await Program.compile(g, { inputs: [mask, n], outputs: { kept: where(mask, n, 0), negated: logicalNot(mask) } }, { backend });
      const out = await p.run({ mask: hostTensor("bool", [3], Uint8Array.from([1, 0, 1])), n: hostTensor("int32", [3], Int32Array.from([4, 5, 6])) });
      expect(out.kept?.dtype).toBe("int32");
      expect(toNumbers(out.kept as HostTensor)).toEqual([4, 0, 6]);
      expect(out.negated?.dtype).toBe("bool");
      expect(toNumbers(out.negated as HostTensor)).toEqual([0, 1, 0]);
      await p.release();
    });
  }
});

describe("jit caches one session per shape signature", () => {
  it("traces once per distinct signature and reuses the session otherwise", async () => {
    let traces = 0;
    const f = jit((a: Tensor, b: Tensor) => {
      traces++;
      return { y: mul(a, b), s: sum(a) };
    });
    const r1 = await f(float32([2], [1, 2]), float32([2], [3, 4]));
    expect(toNumbers(r1.y as HostTensor)).toEqual([3, 8]);
    expect(traces).toBe(1);
    const r2 = await f(float32([2], [5, 6]), float32([2], [1, 1]));
    expect(toNumbers(r2.s as HostTensor)).toEqual([11]);
    expect(traces).toBe(1);
    // A new shape, then a broadcast, then a new dtype: each traces once.
    await f(float32([3], [1, 2, 3]), float32([3], [1, 1, 1]));
    await f(float32([3], [1, 2, 3]), float32([1], [2]));
    await f(float64([3], [1, 2, 3]), float64([1], [2]));
    expect(traces).toBe(4);
    await f(float32([3], [1, 2, 3]), float32([1], [2]));
    expect(traces).toBe(4);
  });

  it("concurrent first calls with one signature share a single trace", async () => {
    let traces = 0;
    const f = jit((a: Tensor) => {
      traces++;
      return { y: relu(a) };
    });
    const results = await Promise.all([1, 2, 3].map((v) => f(float32([1], [v]))));
    expect(results.map((r) => toNumbers(r.y as HostTensor)[0])).toEqual([1, 2, 3]);
    expect(traces).toBe(1);
  });

  it("does not cache a signature whose session failed to compile", async () => {
    let traces = 0;
    const f = jit((a: Tensor) => {
      traces++;
      // A raw node ONNX Runtime does not know: tracing succeeds, session creation fails.
      return { y: a.graph.emit1("NoSuchOp", [a], a.shape, a.dtype) };
    });
    await expect(f(float32([1], [1]))).rejects.toThrow();
    await expect(f(float32([1], [1]))).rejects.toThrow();
    expect(traces).toBe(2);
  });

  it("reports trace-time shape errors without caching them", async () => {
    let traces = 0;
    const f = jit((a: Tensor, b: Tensor) => {
      traces++;
      return { y: matmul(a, b) };
    });
    await expect(f(float32([2, 3]), float32([2, 3]))).rejects.toThrow(ShapeError);
    await expect(f(float32([2, 3]), float32([2, 3]))).rejects.toThrow("cannot multiply [2, 3] by [2, 3]");
    expect(traces).toBe(2);
  });
});
