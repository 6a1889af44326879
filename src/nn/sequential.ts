import type { Tensor } from "../graph/index.js";
import { AbstractModule, type ForwardContext } from "./module.js";

/** A module whose forward pass maps one tensor to one tensor: what `Sequential` chains. */
export type UnaryModule = AbstractModule & { call(ctx: ForwardContext, x: Tensor): Tensor };

/**
 * Applies its layers in order. Parameters are named by position, `layers.0.weight`, as the
 * fields of an array are.
 */
export class Sequential extends AbstractModule {
  readonly layers: readonly UnaryModule[];

  constructor(layers: readonly UnaryModule[]) {
    super();
    this.layers = [...layers];
  }

  call(ctx: ForwardContext, x: Tensor): Tensor {
    let y = x;
    for (const layer of this.layers) y = layer.call(ctx, y);
    return y;
  }
}
