import { type Application, ShapeError, type Tensor, broadcastShapes, formatShape, isFloat, sameShape } from "../graph/index.js";
import { add } from "../ops/elementwise.js";
import { lookupOp } from "../ops/op.js";
import { broadcastTo, full, sumToShape, zeros } from "../ops/shape.js";

/**
 * Reverse-mode vector-Jacobian product: the cotangents of `wrt` given cotangents of `outputs`.
 * Appends the backward ops to the outputs' graph and returns new tensors; mutates no existing
 * value. Inputs unreachable from the outputs get zeros.
 */
export function vjp(outputs: readonly Tensor[], cotangents: readonly Tensor[], wrt: readonly Tensor[]): Tensor[] {
  if (outputs.length !== cotangents.length) throw new Error(`vjp: ${outputs.length} outputs but ${cotangents.length} cotangents`);
  outputs.forEach((y, i) => {
    const c = cotangents[i] as Tensor;
    if (!sameShape(c.shape, y.shape) || c.dtype !== y.dtype) {
      throw new ShapeError("vjp", `cotangent ${c.dtype}${formatShape(c.shape)} does not match output ${y.dtype}${formatShape(y.shape)}`);
    }
  });

  // Post-order DFS over op calls, reaching back from the outputs.
  const order: Application[] = [];
  const visited = new Set<Application>();
  const stack: [Application, number][] = [];
  const visit = (t: Tensor) => {
    const p = t.producer;
    if (p !== null && !visited.has(p)) {
      visited.add(p);
      stack.push([p, 0]);
    }
  };
  for (const y of outputs) {
    visit(y);
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as [Application, number];
      const [app, next] = top;
      if (next < app.inputs.length) {
        top[1]++;
        visit(app.inputs[next] as Tensor);
      } else {
        stack.pop();
        order.push(app);
      }
    }
  }

  // Which values depend on `wrt`: only their cotangents are worth computing.
  const live = new Set<Tensor>(wrt);
  for (const app of order) {
    if (app.inputs.some((x) => live.has(x))) for (const y of app.outputs) live.add(y);
  }

  const cot = new Map<Tensor, Tensor>();
  const accumulate = (t: Tensor, c: Tensor) => {
    const prior = cot.get(t);
    cot.set(t, prior === undefined ? c : add(prior, c));
  };
  outputs.forEach((y, i) => accumulate(y, cotangents[i] as Tensor));

  for (let k = order.length - 1; k >= 0; k--) {
    const app = order[k] as Application;
    if (!app.outputs.some((y) => live.has(y))) continue;
    const gs = app.outputs.map((y) => cot.get(y) ?? null);
    if (gs.every((g) => g === null)) continue;
    const rule = lookupOp(app.op).vjp;
    if (rule === "nondifferentiable") continue;
    const inputCots = rule({ inputs: app.inputs, outputs: app.outputs, attrs: app.attrs }, gs);
    app.inputs.forEach((x, i) => {
      const c = inputCots[i];
      if (c === null || c === undefined || !live.has(x) || !isFloat(x.dtype)) return;
      // Rules may return a cotangent of the broadcast shape; it is summed back here, once.
      accumulate(x, toShape(c, x, app.op));
    });
  }

  return wrt.map((w) => cot.get(w) ?? zeros(w.graph, w.shape, w.dtype));
}

/**
 * Brings a rule's cotangent to its input's shape: summed over broadcast axes when larger, and
 * broadcast when smaller (a rule may return e.g. a keepDims-shaped cotangent, as VjpRule allows).
 */
function toShape(c: Tensor, x: Tensor, op: string): Tensor {
  const joint = broadcastShapes(c.shape, x.shape);
  if (joint === null) {
    throw new ShapeError("vjp", `the ${op} rule returned a cotangent ${formatShape(c.shape)} for an input ${formatShape(x.shape)}`);
  }
  if (c.dtype !== x.dtype) throw new ShapeError("vjp", `the ${op} rule returned a ${c.dtype} cotangent for a ${x.dtype} input`);
  return sumToShape(sameShape(joint, c.shape) ? c : broadcastTo(c, joint), x.shape);
}

/** The gradient of a scalar `loss` with respect to each of `wrt`. */
export function grad(loss: Tensor, wrt: readonly Tensor[]): Tensor[] {
  if (loss.size !== 1) throw new ShapeError("grad", `loss must have one element, got ${formatShape(loss.shape)}; use vjp for other outputs`);
  if (!isFloat(loss.dtype)) throw new ShapeError("grad", `loss must be a float tensor, got ${loss.dtype}${formatShape(loss.shape)}`);
  return vjp([loss], [full(loss.graph, loss.shape, 1, loss.dtype)], wrt);
}
