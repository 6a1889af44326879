import { describe, expect, it } from "vitest";
import { Graph } from "../../src/graph/index.js";
import { matmul, relu, sum } from "../../src/ops/index.js";
import { Program, hostTensor, workerBackend } from "../../src/runtime/index.js";

function program() {
  const graph = new Graph();
  const x = graph.input("x", [2, 3]);
  const w = graph.input("w", [3, 2]);
  const y = relu(matmul(x, w));
  return { graph, signature: { inputs: [x, w], outputs: { y, total: sum(y) } } };
}

describe("workerBackend: ONNX Runtime in a worker thread", () => {
  it("computes what the in-thread backend computes, and leaves the caller's feeds intact", async () => {
    const { graph, signature } = program();
    const onWorker = await Program.compile(graph, signature, { backend: workerBackend });
    const inThread = await Program.compile(graph, signature);
    const x = hostTensor("float32", [2, 3], Float32Array.of(1, -2, 3, 0.5, 4, -1));
    const w = hostTensor("float32", [3, 2], Float32Array.of(1, 0, 0, 1, 1, -1));
    const a = await onWorker.run({ x, w });
    const b = await inThread.run({ x, w });
    expect([...(a.y?.data as Float32Array)]).toEqual([...(b.y?.data as Float32Array)]);
    expect(a.total?.data[0]).toBeCloseTo(Number(b.total?.data[0]), 6);
    expect(x.data.length).toBe(6); // copied, not transferred away
    await onWorker.release();
    await inThread.release();
  });

  it("keeps the main thread's event loop free while a step runs", async () => {
    const graph = new Graph();
    const a = graph.input("a", [512, 512]);
    let h = a;
    for (let i = 0; i < 20; i++) h = relu(matmul(h, a));
    const p = await Program.compile(graph, { inputs: [a], outputs: { h: sum(h) } }, { backend: workerBackend });
    const feed = hostTensor("float32", [512, 512], new Float32Array(512 * 512).fill(0.001));
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    await p.run({ a: feed });
    await p.run({ a: feed });
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0);
    await p.release();
  });

  it("reports a run-time failure as a rejected promise", async () => {
    const { graph, signature } = program();
    const p = await Program.compile(graph, signature, { backend: workerBackend });
    // Bypasses Program's feed checks: the session itself must reject the mismatched matmul.
    const x = { dtype: "float32" as const, shape: [2, 4], data: new Float32Array(8) };
    const w = { dtype: "float32" as const, shape: [3, 2], data: new Float32Array(6) };
    await expect(p.session.run({ x, w })).rejects.toThrow();
    await p.release();
  });
});
