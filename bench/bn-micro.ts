/**
 * Micro-benchmark of the full-size elementwise passes of batch norm and ReLU on ORT (one
 * [256, 32, 28, 28] activation): `THREADS=1 npx tsx bench/bn-micro.ts`. Median ms of 11 runs.
 */
import { Graph, type Tensor, attr } from "../src/graph/index.js";
import { Rng } from "../src/random/rng.js";
import { Program, float32 } from "../src/runtime/index.js";
const [n, c, h] = [256, 32, 28];
const rng = new Rng(0);
const feeds = { x: float32([n, c, h, h], rng.normalArray(n * c * h * h)), g: float32([n, c, h, h], rng.normalArray(n * c * h * h)), s: float32([c], rng.normalArray(c)), b: float32([c], rng.normalArray(c)) };
const S = [n, c, h, h];
const K = [1, c, 1, 1];
type B = (g: Graph, x: Tensor, gy: Tensor, s: Tensor, b: Tensor) => Tensor;
const rs = (g: Graph, t: Tensor) => g.emit1("Reshape", [t, g.int64s(K)], K, "float32");
const variants: Record<string, B> = {
  "Mul+Add per channel": (g, x, _gy, s, b) => g.emit1("Add", [g.emit1("Mul", [x, rs(g, s)], S, "float32"), rs(g, b)], S, "float32"),
  "BatchNormalization inference": (g, x, _gy, s, b) => g.emit1("BatchNormalization", [x, s, b, b, g.emit1("Abs", [s], [c], "float32")], S, "float32", { epsilon: attr.float(1e-5) }),
  "(ReduceSum alone, subtract from the full-size rows)": (_g, x) => x,
  "batch statistics + normalize: ReduceMean, Sub, Mul, ReduceMean, BatchNormalization inference": (g, x, _gy, s, b) => {
    const keep = { keepdims: attr.int(1) };
    const m = g.emit1("ReduceMean", [x, g.int64s([0, 2, 3])], K, "float32", keep);
    const d = g.emit1("Sub", [x, m], S, "float32");
    const v = g.emit1("ReduceMean", [g.emit1("Mul", [d, d], S, "float32"), g.int64s([0, 2, 3])], K, "float32", keep);
    const flat = (t: Tensor) => g.emit1("Reshape", [t, g.int64s([c])], [c], "float32");
    return g.emit1("BatchNormalization", [x, s, b, flat(m), flat(v)], S, "float32", { epsilon: attr.float(1e-5) });
  },
  "batch statistics + normalize: BatchNormalization training_mode 1 (src/runtime/batch-norm-training.ts)": (g, x, _gy, s, b) => {
    const zeros = () => g.emit1("RandomUniform", [], [c], "float32", { shape: attr.ints([c]), low: attr.float(0), high: attr.float(0) });
    const [y] = g.emit("BatchNormalization", [x, s, b, zeros(), zeros()], [{ shape: S, dtype: "float32" }, { shape: [c], dtype: "float32" }, { shape: [c], dtype: "float32" }], {
      epsilon: attr.float(1e-5),
      momentum: attr.float(0),
      training_mode: attr.int(1),
    });
    return y as Tensor;
  },
  "ReduceMean": (g, x) => g.emit1("ReduceMean", [x, g.int64s([0, 2, 3])], K, "float32", { keepdims: attr.int(1) }),
  "ReduceSum": (g, x) => g.emit1("ReduceSum", [x, g.int64s([0, 2, 3])], K, "float32", { keepdims: attr.int(1) }),
  "ReduceSumSquare": (g, x) => g.emit1("ReduceSumSquare", [x, g.int64s([0, 2, 3])], K, "float32", { keepdims: attr.int(1) }),
  "Sub per channel": (g, x, _gy, s) => g.emit1("Sub", [x, rs(g, s)], S, "float32"),
  "Mul full": (g, x, gy) => g.emit1("Mul", [x, gy], S, "float32"),
  "Relu": (g, x) => g.emit1("Relu", [x], S, "float32"),
  "Where(Greater(x,0),g,0)": (g, x, gy) => g.emit1("Where", [g.emit1("Greater", [x, g.scalar(0, "float32")], S, "bool"), gy, g.scalar(0, "float32")], S, "float32"),
  "Greater(x,0) then Cast to float, Mul": (g, x, gy) => g.emit1("Mul", [gy, g.emit1("Cast", [g.emit1("Greater", [x, g.scalar(0, "float32")], S, "bool")], S, "float32", { to: attr.int(1) })], S, "float32"),
  "Where(Cast(Relu x, bool), g, 0)": (g, x, gy) => g.emit1("Where", [g.emit1("Cast", [g.emit1("Relu", [x], S, "float32")], S, "bool", { to: attr.int(9) }), gy, g.scalar(0, "float32")], S, "float32"),
  "Mul(g, Sign(Relu x))": (g, x, gy) => g.emit1("Mul", [gy, g.emit1("Sign", [g.emit1("Relu", [x], S, "float32")], S, "float32")], S, "float32"),
  "ReduceSum of Mul(x,g)": (g, x, gy) => g.emit1("ReduceSum", [g.emit1("Mul", [x, gy], S, "float32"), g.int64s([0, 2, 3])], K, "float32", { keepdims: attr.int(1) }),
  "Einsum nchw,nchw->c": (g, x, gy) => g.emit1("Einsum", [x, gy], [c], "float32", { equation: attr.string("nchw,nchw->c") }),
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;
for (const [name, build] of Object.entries(variants)) {
  const g = new Graph();
  const x = g.input("x", S); const gy = g.input("g", S); const s = g.input("s", [c]); const b = g.input("b", [c]);
  const y = build(g, x, gy, s, b);
  // NOTE: a full-size graph output would be copied out by the binding; reduce it so the copy is not timed
  const out = y.shape.length === 4 && y.shape[0] === n ? g.emit1("ReduceSum", [y, g.int64s([0, 2, 3])], K, "float32", { keepdims: attr.int(1) }) : y;
  const p = await Program.compile(g, { inputs: [x, gy, s, b], outputs: { out } }, { threads: Number(process.env.THREADS ?? 0) });
  await p.run(feeds);
  const t: number[] = [];
  for (let i = 0; i < 11; i++) { const t0 = performance.now(); await p.run(feeds); t.push(performance.now() - t0); }
  console.log(`${median(t).toFixed(1).padStart(7)} ms  ${name}`);
  await p.release();
}
