import type { Tensor } from "../graph/index.js";
import { gelu, leakyRelu, mul, relu, sigmoid, tanh } from "../ops/index.js";
import { AbstractModule, type ForwardContext } from "./module.js";

/** The activations a block spec or an `Activation` layer can name. */
export type ActivationName = "relu" | "gelu" | "tanh" | "sigmoid" | "silu" | "leakyRelu";

/** Applies a named activation; `silu` is x·σ(x), `leakyRelu` has PyTorch's slope 0.01. */
export function activate(name: ActivationName, x: Tensor): Tensor {
  switch (name) {
    case "relu":
      return relu(x);
    case "gelu":
      return gelu(x);
    case "tanh":
      return tanh(x);
    case "sigmoid":
      return sigmoid(x);
    case "silu":
      return mul(x, sigmoid(x));
    case "leakyRelu":
      return leakyRelu(x);
  }
}

/** A parameter-free activation as a layer, for `Sequential`. */
export class Activation extends AbstractModule {
  constructor(readonly name: ActivationName) {
    super();
  }

  call(_ctx: ForwardContext, x: Tensor): Tensor {
    return activate(this.name, x);
  }
}
