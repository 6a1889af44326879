/**
 * Plain-JS optimizers written from PyTorch's documented update equations, one parameter tensor at
 * a time as `torch.optim` loops over a param group (float64). A parameter with `decay: false` sits
 * in a second param group with weight_decay = 0 (and, for LARS, is excluded from adaptation as
 * solo-learn's `exclude_bias_n_norm_lars`). They share no code with src/optim on purpose.
 */
export interface RefParam {
  p: number[];
  readonly decay: boolean;
}

export type RefOptimizer = (params: RefParam[], grads: number[][]) => void;

const norm = (x: readonly number[]) => Math.sqrt(x.reduce((s, v) => s + v * v, 0));

/** torch.optim.SGD (dampening 0). */
export function refSgd(o: { lr: number; momentum: number; nesterov: boolean; weightDecay: number }): RefOptimizer {
  const buffers = new Map<number, number[]>();
  return (params, grads) => {
    params.forEach((param, i) => {
      const wd = param.decay ? o.weightDecay : 0;
      let d = (grads[i] as number[]).map((g, k) => g + wd * (param.p[k] as number));
      if (o.momentum !== 0) {
        let buf = buffers.get(i);
        if (buf === undefined) buf = [...d];
        else buf = buf.map((b, k) => o.momentum * b + (d[k] as number));
        buffers.set(i, buf);
        const b = buf;
        d = o.nesterov ? d.map((v, k) => v + o.momentum * (b[k] as number)) : b;
      }
      param.p = param.p.map((v, k) => v - o.lr * (d[k] as number));
    });
  };
}

/** torch.optim.Adam (decoupled = false) or torch.optim.AdamW (decoupled = true); lr per step from `lrAt`. */
export function refAdam(o: {
  lrAt: (step: number) => number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  decoupled: boolean;
}): RefOptimizer {
  const m = new Map<number, number[]>();
  const v = new Map<number, number[]>();
  let t = 0;
  return (params, grads) => {
    const lr = o.lrAt(t);
    t += 1;
    const [b1, b2] = o.betas;
    params.forEach((param, i) => {
      const wd = param.decay ? o.weightDecay : 0;
      let g = grads[i] as number[];
      if (o.decoupled) param.p = param.p.map((x) => x * (1 - lr * wd));
      else g = g.map((x, k) => x + wd * (param.p[k] as number));
      const mi = (m.get(i) ?? g.map(() => 0)).map((x, k) => b1 * x + (1 - b1) * (g[k] as number));
      const vi = (v.get(i) ?? g.map(() => 0)).map((x, k) => b2 * x + (1 - b2) * (g[k] as number) ** 2);
      m.set(i, mi);
      v.set(i, vi);
      const mHat = mi.map((x) => x / (1 - b1 ** t));
      const vHat = vi.map((x) => x / (1 - b2 ** t));
      param.p = param.p.map((x, k) => x - (lr * (mHat[k] as number)) / (Math.sqrt(vHat[k] as number) + o.eps));
    });
  };
}

/** solo-learn's LARS (solo/utils/lars.py), excluding undecayed params from decay and adaptation. */
export function refLars(o: {
  lr: number;
  momentum: number;
  weightDecay: number;
  eta: number;
  eps: number;
  nesterov: boolean;
  clipLarsLr: boolean;
}): RefOptimizer {
  const buffers = new Map<number, number[]>();
  return (params, grads) => {
    params.forEach((param, i) => {
      let d = [...(grads[i] as number[])];
      const pNorm = norm(param.p);
      const gNorm = norm(d);
      if (param.decay && pNorm !== 0 && gNorm !== 0) {
        let larsLr = (o.eta * pNorm) / (gNorm + pNorm * o.weightDecay + o.eps);
        if (o.clipLarsLr) larsLr = Math.min(larsLr / o.lr, 1);
        d = d.map((g, k) => (g + o.weightDecay * (param.p[k] as number)) * larsLr);
      }
      if (o.momentum !== 0) {
        const prev = buffers.get(i);
        const buf = prev === undefined ? [...d] : prev.map((b, k) => o.momentum * b + (d[k] as number));
        buffers.set(i, buf);
        d = o.nesterov ? d.map((x, k) => x + o.momentum * (buf[k] as number)) : buf;
      }
      param.p = param.p.map((x, k) => x - o.lr * (d[k] as number));
    });
  };
}
