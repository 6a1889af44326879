import { Graph, ShapeError, type Tensor, formatShape } from "../graph/index.js";
import { bindModule } from "../nn/bind.js";
import { type AbstractModule, BoundContext, type ForwardContext, type Parameter, type StateBuffer, namedParameters, namedState } from "../nn/module.js";
import { reshape } from "../ops/index.js";
import { type CompileOptions, type HostTensor, Program, hostTensor } from "../runtime/index.js";
import type { BatchSpec, LossOutput } from "./train-step.js";

export interface EvalStepOptions<B extends string> {
  /** The modules the loss reads, by name (as a `TrainStep`'s). */
  readonly modules: Readonly<Record<string, AbstractModule>>;
  readonly batch: Readonly<Record<B, BatchSpec>>;
  /** The training loss, traced here in eval mode: no dropout, batch norm on its running statistics. */
  readonly loss: (ctx: ForwardContext, batch: Readonly<Record<B, Tensor>>, extra: Readonly<Record<string, Tensor>>) => LossOutput;
  readonly compile?: CompileOptions;
}

/** A loss and its metrics on one batch, as host numbers. */
export interface EvalResult {
  readonly loss: number;
  readonly metrics: Readonly<Record<string, number>>;
}

/**
 * A method's loss compiled for evaluation: the same graph as training's forward pass and loss, in
 * eval mode and without backward or update, with the modules' parameters and state as inputs
 * read from their current host values at every `run` (a `TrainStep` user calls
 * `syncToModules()` first). For validation curves and held-out losses during training.
 */
export class EvalStep<B extends string> {
  private constructor(
    private readonly program: Program,
    private readonly leaves: ReadonlyMap<string, Parameter | StateBuffer>,
    private readonly metricNames: readonly string[],
  ) {}

  static async compile<B extends string>(options: EvalStepOptions<B>): Promise<EvalStep<B>> {
    const graph = new Graph();
    const bindings = new Map<Parameter | StateBuffer, Tensor>();
    const leaves = new Map<string, Parameter | StateBuffer>();
    const inputs: Tensor[] = [];
    for (const [name, module] of Object.entries(options.modules)) {
      const bound = bindModule(graph, module, { prefix: name });
      for (const [leaf, t] of bound.bindings) if (!bindings.has(leaf)) bindings.set(leaf, t);
      const byPath = new Map<string, Parameter | StateBuffer>([...namedParameters(module, name), ...namedState(module, name)]);
      for (const [path, t] of bound.inputs) {
        leaves.set(path, byPath.get(path) as Parameter | StateBuffer);
        inputs.push(t);
      }
    }
    const batch = {} as Record<B, Tensor>;
    for (const [name, spec] of Object.entries(options.batch) as [B, BatchSpec][]) {
      batch[name] = graph.input(`batch.${name}`, spec.shape, spec.dtype ?? "float32");
      inputs.push(batch[name]);
    }
    const { loss, metrics = {} } = options.loss(new BoundContext(false, bindings), batch, {});
    if (loss.size !== 1) throw new ShapeError("EvalStep", `the loss must be a scalar, got ${formatShape(loss.shape)}`);
    const outputs: Record<string, Tensor> = { loss: reshape(loss, []) };
    const metricNames = Object.keys(metrics);
    for (const k of metricNames) outputs[`metric.${k}`] = reshape(metrics[k] as Tensor, []);
    const program = await Program.compile(graph, { inputs, outputs }, options.compile);
    return new EvalStep<B>(program, leaves, metricNames);
  }

  /** The loss and metrics of one batch under the modules' current values. */
  async run(batch: Readonly<Record<B, HostTensor>>): Promise<EvalResult> {
    const feeds: Record<string, HostTensor> = {};
    for (const [name, leaf] of this.leaves) feeds[name] = hostTensor("float32", leaf.shape, leaf.value);
    for (const [name, t] of Object.entries(batch) as [B, HostTensor][]) feeds[`batch.${name}`] = t;
    const out = await this.program.run(feeds);
    const scalar = (name: string) => Number((out[name] as HostTensor<"float32">).data[0]);
    return { loss: scalar("loss"), metrics: Object.fromEntries(this.metricNames.map((k) => [k, scalar(`metric.${k}`)])) };
  }

  release(): Promise<void> {
    return this.program.release();
  }
}
