import { grad } from "../autodiff/index.js";
import { type DType, Graph, type Shape, ShapeError, type Tensor, formatShape } from "../graph/index.js";
import { type AbstractModule, BoundContext, type ForwardContext, type Parameter, type StateBuffer, namedParameters, namedState } from "../nn/module.js";
import { concat, reshape } from "../ops/index.js";
import { type FlatLayout, flatLayout, pack, segmentList, unpack } from "../optim/layout.js";
import { type Optimizer, traceUpdate } from "../optim/optimizer.js";
import { Rng } from "../random/rng.js";
import { type CompileOptions, type HostTensor, Program, hostTensor } from "../runtime/index.js";

/** The static shape and dtype of one batch input. */
export interface BatchSpec {
  readonly shape: Shape;
  readonly dtype?: DType;
}

/** What a loss function returns: the scalar to minimize and any scalars to log. */
export interface LossOutput {
  readonly loss: Tensor;
  readonly metrics?: Readonly<Record<string, Tensor>>;
}

export interface TrainStepOptions<B extends string> {
  /** The trainable modules by name; a parameter's key is `<name>.<field path>`. */
  readonly modules: Readonly<Record<string, AbstractModule>>;
  /** The batch inputs fed every step, by name. */
  readonly batch: Readonly<Record<B, BatchSpec>>;
  /** Traced once: the loss of a batch. Modules read their parameters through `ctx`. */
  readonly loss: (ctx: ForwardContext, batch: Readonly<Record<B, Tensor>>) => LossOutput;
  readonly optimizer: Optimizer;
  /** Seeds the host RNG that draws dropout noise; part of the checkpointed state. */
  readonly seed?: number;
  readonly compile?: CompileOptions;
}

/** Losses and metrics of one step, as host numbers. */
export interface StepResult {
  readonly step: number;
  readonly loss: number;
  readonly metrics: Readonly<Record<string, number>>;
}

/** A step whose loss came out NaN or infinite; the parameters were left as they were before it. */
export class NonFiniteLossError extends Error {
  constructor(
    readonly step: number,
    readonly loss: number,
  ) {
    super(
      `loss is ${loss} at step ${step}; parameters were not updated. Lower the learning rate, ` +
        "add gradient clipping, or check the input data for NaN values.",
    );
    this.name = "NonFiniteLossError";
  }
}

/**
 * One training step compiled into ONE ONNX graph: forward, loss, backward, optimizer update and
 * new module state. All parameters travel as one flat vector, the optimizer's state as flat
 * vectors alike, module state (batch norm statistics) as another; the host keeps them and swaps
 * in the fetched ones after each step, so nothing is copied on the host.
 */
export class TrainStep<B extends string> {
  /** The current flat parameters, state, optimizer slots (replaced after every step). */
  params: Float32Array;
  state: Float32Array;
  optimizerState: Record<string, Float32Array>;
  /** Steps taken so far; the next step's schedule index. */
  stepCount = 0;
  rng: Rng;

  private constructor(
    readonly options: TrainStepOptions<B>,
    readonly layout: FlatLayout,
    readonly stateLayout: FlatLayout | null,
    private readonly program: Program,
    private readonly noiseShapes: readonly Shape[],
    private readonly metricNames: readonly string[],
    private readonly parameters: ReadonlyMap<string, Parameter>,
    private readonly buffers: ReadonlyMap<string, StateBuffer>,
  ) {
    this.params = pack(layout, new Map([...parameters].map(([k, p]) => [k, p.value])));
    this.state = stateLayout ? pack(stateLayout, new Map([...buffers].map(([k, b]) => [k, b.value]))) : new Float32Array(0);
    this.optimizerState = options.optimizer.init(layout);
    this.rng = new Rng(options.seed ?? 0);
  }

  /** Traces and compiles the step. */
  static async compile<B extends string>(options: TrainStepOptions<B>): Promise<TrainStep<B>> {
    const parameters = new Map<string, Parameter>();
    const buffers = new Map<string, StateBuffer>();
    for (const [name, module] of Object.entries(options.modules)) {
      for (const [k, p] of namedParameters(module, name)) parameters.set(k, p);
      for (const [k, b] of namedState(module, name)) buffers.set(k, b);
    }
    const layout = flatLayout(new Map([...parameters].map(([k, p]) => [k, { shape: p.shape, decay: p.decay }])));
    const stateLayout = buffers.size > 0 ? flatLayout(new Map([...buffers].map(([k, b]) => [k, { shape: b.shape, decay: false }]))) : null;

    const graph = new Graph();
    const paramsIn = graph.input("params", [layout.size]);
    const stateIn = stateLayout ? graph.input("state", [stateLayout.size]) : null;
    const batchIn = {} as Record<B, Tensor>;
    for (const [name, spec] of Object.entries(options.batch) as [B, BatchSpec][]) {
      batchIn[name] = graph.input(`batch.${name}`, spec.shape, spec.dtype ?? "float32");
    }

    const bindings = new Map<Parameter | StateBuffer, Tensor>();
    const paramPieces = segmentList(paramsIn, layout);
    [...parameters.values()].forEach((p, i) => bindings.set(p, paramPieces[i] as Tensor));
    const statePieces = stateIn && stateLayout ? segmentList(stateIn, stateLayout) : [];
    [...buffers.values()].forEach((b, i) => bindings.set(b, statePieces[i] as Tensor));
    const noiseShapes: Shape[] = [];
    const ctx = new BoundContext(true, bindings, (shape) => {
      noiseShapes.push(shape);
      return graph.input(`noise.${noiseShapes.length - 1}`, shape);
    });

    const { loss, metrics = {} } = options.loss(ctx, batchIn);
    if (loss.size !== 1) throw new ShapeError("TrainStep", `the loss must be a scalar, got ${formatShape(loss.shape)}`);
    const [grads] = grad(loss, [paramsIn]);
    const update = traceUpdate(options.optimizer, layout, { params: paramsIn, grads: grads as Tensor });

    const outputs: Record<string, Tensor> = { params: update.params, loss: reshape(loss, []) };
    for (const [k, t] of Object.entries(update.state)) outputs[`opt.state.${k}`] = t;
    if (stateIn) {
      outputs.state = concat(
        [...buffers.values()].map((b, i) => reshape(ctx.stateUpdates.get(b) ?? (statePieces[i] as Tensor), [-1])),
      );
    }
    const metricNames = Object.keys(metrics);
    for (const k of metricNames) outputs[`metric.${k}`] = reshape(metrics[k] as Tensor, []);

    const inputs = [paramsIn, ...(stateIn ? [stateIn] : []), ...Object.values<Tensor>(update.stateInputs), ...Object.values<Tensor>(update.scalarInputs), ...Object.values<Tensor>(batchIn), ...ctx.noiseInputs];
    const program = await Program.compile(graph, { inputs, outputs }, options.compile);
    return new TrainStep(options, layout, stateLayout, program, noiseShapes, metricNames, parameters, buffers);
  }

  /** Runs one step on a batch; on a non-finite loss throws `NonFiniteLossError` and keeps the old parameters. */
  async run(batch: Readonly<Record<B, HostTensor>>): Promise<StepResult> {
    const feeds: Record<string, HostTensor> = { params: hostTensor("float32", [this.layout.size], this.params) };
    if (this.stateLayout) feeds.state = hostTensor("float32", [this.stateLayout.size], this.state);
    for (const [k, v] of Object.entries(this.optimizerState)) feeds[`opt.state.${k}`] = hostTensor("float32", [this.layout.size], v);
    for (const [k, v] of Object.entries(this.options.optimizer.scalars(this.stepCount))) {
      feeds[`opt.scalar.${k}`] = hostTensor("float32", [], Float32Array.of(v));
    }
    for (const [k, v] of Object.entries(batch) as [B, HostTensor][]) feeds[`batch.${k}`] = v;
    this.noiseShapes.forEach((shape, i) => {
      const n = shape.reduce((a, b) => a * b, 1);
      feeds[`noise.${i}`] = hostTensor("float32", shape, this.rng.uniformArray(n));
    });

    const out = await this.program.run(feeds);
    const loss = Number((out.loss as HostTensor).data[0]);
    const step = this.stepCount;
    if (!Number.isFinite(loss)) throw new NonFiniteLossError(step, loss);
    this.params = (out.params as HostTensor<"float32">).data;
    if (this.stateLayout) this.state = (out.state as HostTensor<"float32">).data;
    for (const k of Object.keys(this.optimizerState)) this.optimizerState[k] = (out[`opt.state.${k}`] as HostTensor<"float32">).data;
    this.stepCount++;
    const metrics: Record<string, number> = {};
    for (const k of this.metricNames) metrics[k] = Number((out[`metric.${k}`] as HostTensor).data[0]);
    return { step, loss, metrics };
  }

  /** Copies the current parameters and state back into the modules' Parameter and StateBuffer values. */
  syncToModules(): void {
    for (const [k, v] of unpack(this.layout, this.params)) (this.parameters.get(k) as Parameter).value.set(v);
    if (this.stateLayout) for (const [k, v] of unpack(this.stateLayout, this.state)) (this.buffers.get(k) as StateBuffer).value.set(v);
  }

  /** Everything needed to resume exactly: tensors by name, and the step and RNG state. */
  snapshot(): { tensors: Map<string, Float32Array>; step: number; rngState: number[] } {
    const tensors = new Map<string, Float32Array>([["params", this.params]]);
    if (this.stateLayout) tensors.set("state", this.state);
    for (const [k, v] of Object.entries(this.optimizerState)) tensors.set(`opt.${k}`, v);
    return { tensors, step: this.stepCount, rngState: this.rng.state };
  }

  /** Restores a `snapshot`, checking that every tensor is there at the right size. */
  restore(snapshot: { tensors: ReadonlyMap<string, Float32Array>; step: number; rngState: readonly number[] }): void {
    const take = (name: string, size: number) => {
      const t = snapshot.tensors.get(name);
      if (t === undefined) throw new Error(`checkpoint has no tensor "${name}"`);
      if (t.length !== size) throw new Error(`checkpoint tensor "${name}" has ${t.length} values, this model needs ${size}`);
      return Float32Array.from(t);
    };
    this.params = take("params", this.layout.size);
    if (this.stateLayout) this.state = take("state", this.stateLayout.size);
    for (const k of Object.keys(this.optimizerState)) this.optimizerState[k] = take(`opt.${k}`, this.layout.size);
    this.stepCount = snapshot.step;
    this.rng = new Rng(snapshot.rngState);
  }

  release(): Promise<void> {
    return this.program.release();
  }
}
