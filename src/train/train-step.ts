import { grad } from "../autodiff/index.js";
import { type DType, Graph, type Shape, ShapeError, type Tensor, byteSize, formatShape, sameShape, sizeOf } from "../graph/index.js";
import { type AbstractModule, BoundContext, type ForwardContext, type Parameter, type StateBuffer, namedParameters, namedState } from "../nn/module.js";
import { add, cast, concat, mul, reshape, slice } from "../ops/index.js";
import { type FlatLayout, flatLayout, pack, segmentList, unpack } from "../optim/layout.js";
import { emaUpdate } from "../optim/ema.js";
import { type LearningRate, type Optimizer, learningRateAt, traceUpdate } from "../optim/optimizer.js";
import { Rng } from "../random/rng.js";
import { type CompileOptions, type HostTensor, Program, hostTensor } from "../runtime/index.js";
import { hostDataProblem } from "../runtime/host-tensor.js";

/** The static shape and dtype of one batch input. */
export interface BatchSpec {
  readonly shape: Shape;
  readonly dtype?: DType;
}

/** What a loss function returns: the scalar to minimize, scalars to log, and the next extra state. */
export interface LossOutput {
  readonly loss: Tensor;
  readonly metrics?: Readonly<Record<string, Tensor>>;
  /** The next value of every `extraState` entry (a MoCo queue after enqueueing this batch's keys). */
  readonly nextState?: Readonly<Record<string, Tensor>>;
}

/**
 * A momentum (EMA) copy of online modules, as BYOL's target network or MoCo's key encoder. It is
 * not trained: after each step, target ← m · target + (1 − m) · online, inside the same graph.
 */
export interface TargetNetwork {
  /** The copy; its parameters, in order, have the shapes of the followed modules' parameters. */
  readonly module: AbstractModule;
  /** Names of the online modules it follows, in order. */
  readonly follows: readonly string[];
  /** The EMA momentum, constant or a schedule over steps (BYOL's cosine schedule). */
  readonly momentum: LearningRate;
}

/** A state tensor that the loss reads and rewrites every step (a queue of negatives). */
export interface ExtraStateSpec {
  readonly shape: Shape;
  readonly initial: Float32Array;
}

export interface TrainStepOptions<B extends string> {
  /** The trainable modules by name; a parameter's key is `<name>.<field path>`. */
  readonly modules: Readonly<Record<string, AbstractModule>>;
  /** The batch inputs fed every step, by name. */
  readonly batch: Readonly<Record<B, BatchSpec>>;
  /** EMA copies of online modules, by name; their parameters are keyed `target.<name>.<path>`. */
  readonly targets?: Readonly<Record<string, TargetNetwork>>;
  /** State tensors carried between steps besides parameters, by name. */
  readonly extraState?: Readonly<Record<string, ExtraStateSpec>>;
  /** Traced once: the loss of a batch. Modules read their parameters through `ctx`. */
  readonly loss: (ctx: ForwardContext, batch: Readonly<Record<B, Tensor>>, extra: Readonly<Record<string, Tensor>>) => LossOutput;
  readonly optimizer: Optimizer;
  /** Seeds the host RNG that draws dropout noise; part of the checkpointed state. */
  readonly seed?: number;
  /**
   * The most steps one call into the runtime may run (`runSteps`; `fit` groups its batches so).
   * Above 1, the step is compiled as the body of an ONNX Loop that carries the parameters and
   * state from step to step inside ONNX Runtime, and they are copied out once per call instead of
   * once per step: the MLP autoencoder of `npm run bench` (0.94M parameters, Adam, batch 256)
   * steps ~25% faster with 8. Steps that take tens of milliseconds gain little. Every step is the
   * same loop body however the steps are grouped, so a run is reproducible whatever the grouping
   * (and a resumed run repeats an uninterrupted one). The batches of a call are stacked in host
   * memory: the default is 8, or fewer where 8 batches would take more than 64 MiB.
   */
  readonly stepsPerRun?: number;
  readonly compile?: CompileOptions;
}

/** Losses and metrics of one step, as host numbers. */
export interface StepResult {
  readonly step: number;
  readonly loss: number;
  readonly metrics: Readonly<Record<string, number>>;
}

/**
 * A step whose loss came out NaN or infinite; the parameters were left as they were before it.
 * `fit` adds where in the data it was and how many such batches came in a row when it stops a run.
 */
export class NonFiniteLossError extends Error {
  /** The steps of the same call before the bad one, which were applied. */
  readonly completed: readonly StepResult[];
  readonly at: { readonly epoch: number; readonly batchIndex: number; readonly consecutive: number } | undefined;

  constructor(
    readonly step: number,
    readonly loss: number,
    details: { readonly completed?: readonly StepResult[]; readonly at?: { readonly epoch: number; readonly batchIndex: number; readonly consecutive: number } } = {},
  ) {
    const at = details.at;
    const where = at === undefined ? "" : ` (epoch ${at.epoch + 1}, batch ${at.batchIndex + 1})`;
    const run = at === undefined || at.consecutive === 1 ? "parameters were not updated" : `${at.consecutive} batches in a row with a non-finite loss, all skipped; the run stops`;
    super(`loss is ${loss} at step ${step}${where}; ${run}. Lower the learning rate, add gradient clipping, or check the input data for NaN values.`);
    this.name = "NonFiniteLossError";
    this.completed = details.completed ?? [];
    this.at = at;
  }
}

/** The online parameters' flat range that one target network follows. */
interface TargetPlan {
  readonly name: string;
  readonly network: TargetNetwork;
  readonly layout: FlatLayout;
  /** [start, end) ranges of the online flat vector, one per followed module, in order. */
  readonly ranges: readonly (readonly [number, number])[];
}

/**
 * One training step compiled into ONE ONNX graph: forward, loss, backward, optimizer update,
 * EMA target updates and new module state. All parameters travel as one flat vector, the
 * optimizer's state as flat vectors alike, module state (batch norm statistics) as another; the
 * host keeps them and swaps in the fetched ones after each call, so nothing is copied on the host.
 * One call runs 1 to `stepsPerRun` steps (`runSteps`).
 */
export class TrainStep<B extends string> {
  /** The current flat vectors (replaced after every call). */
  params: Float32Array;
  state: Float32Array;
  optimizerState: Record<string, Float32Array>;
  targets: Record<string, Float32Array>;
  extraState: Record<string, Float32Array>;
  /** Steps taken so far; the next step's schedule index. */
  stepCount = 0;
  rng: Rng;
  /** The most steps `runSteps` takes per call (see `TrainStepOptions.stepsPerRun`). */
  readonly stepsPerRun: number;
  /** Stacked per-step inputs of a repeated program, reused from call to call. */
  private readonly stacks = new Map<string, HostTensor>();
  /** The program's inputs by name, to check what a call stacks. */
  private readonly inputsByName: ReadonlyMap<string, Tensor>;

  private constructor(
    readonly options: TrainStepOptions<B>,
    readonly layout: FlatLayout,
    readonly stateLayout: FlatLayout | null,
    private readonly targetPlans: readonly TargetPlan[],
    private readonly program: Program,
    private readonly noiseShapes: readonly Shape[],
    private readonly metricNames: readonly string[],
    private readonly parameters: ReadonlyMap<string, Parameter>,
    private readonly buffers: ReadonlyMap<string, StateBuffer>,
  ) {
    this.params = pack(layout, new Map([...parameters].map(([k, p]) => [k, p.value])));
    this.state = stateLayout ? pack(stateLayout, new Map([...buffers].map(([k, b]) => [k, b.value]))) : new Float32Array(0);
    this.optimizerState = options.optimizer.init(layout);
    // A target network starts as an exact copy of what it follows (BYOL, MoCo).
    this.targets = Object.fromEntries(
      targetPlans.map((t) => [t.name, concatArrays(t.ranges.map(([a, b]) => this.params.subarray(a, b)))]),
    );
    this.extraState = Object.fromEntries(Object.entries(options.extraState ?? {}).map(([k, v]) => [k, Float32Array.from(v.initial)]));
    this.rng = new Rng(options.seed ?? 0);
    this.stepsPerRun = program.repeat?.steps ?? 1;
    this.inputsByName = new Map(program.signature.inputs.map((t) => [t.name, t]));
  }

  /** Traces and compiles the step. */
  static async compile<B extends string>(options: TrainStepOptions<B>): Promise<TrainStep<B>> {
    const parameters = new Map<string, Parameter>();
    const buffers = new Map<string, StateBuffer>();
    const moduleRanges = new Map<string, [number, number]>();
    let offset = 0;
    for (const [name, module] of Object.entries(options.modules)) {
      const start = offset;
      for (const [k, p] of namedParameters(module, name)) {
        if ([...parameters.values()].includes(p)) throw new Error(`parameter ${k} is shared with another module; list each module once`);
        parameters.set(k, p);
        offset += p.value.length;
      }
      moduleRanges.set(name, [start, offset]);
      for (const [k, b] of namedState(module, name)) buffers.set(k, b);
    }
    const targetParams = new Map<string, Map<string, Parameter>>();
    for (const [name, target] of Object.entries(options.targets ?? {})) {
      targetParams.set(name, namedParameters(target.module, `target.${name}`));
      for (const [k, b] of namedState(target.module, `target.${name}`)) buffers.set(k, b);
    }
    const layout = flatLayout(new Map([...parameters].map(([k, p]) => [k, { shape: p.shape, decay: p.decay }])));
    const stateLayout = buffers.size > 0 ? flatLayout(new Map([...buffers].map(([k, b]) => [k, { shape: b.shape, decay: false }]))) : null;
    const targetPlans = Object.entries(options.targets ?? {}).map(([name, network]) =>
      planTarget(name, network, targetParams.get(name) as Map<string, Parameter>, moduleRanges, layout),
    );

    const stepsPerRun = options.stepsPerRun ?? defaultStepsPerRun(options.batch);
    if (!Number.isInteger(stepsPerRun) || stepsPerRun < 1) throw new Error(`TrainStep: stepsPerRun must be an integer >= 1, got ${stepsPerRun}`);
    const repeated = stepsPerRun > 1;
    const graph = new Graph();
    const paramsIn = graph.input("params", [layout.size]);
    // A repeated step carries the flat vectors from step to step inside the runtime, so its views
    // are slices of them there; a single step gets them fed as views of the host's vector.
    const views = (flat: Tensor, name: string, l: FlatLayout) => (repeated ? segmentList(flat, l) : viewInputs(graph, name, l));
    const paramViews = views(paramsIn, "params", layout);
    const stateIn = stateLayout ? graph.input("state", [stateLayout.size]) : null;
    const targetIn = targetPlans.map((t) => graph.input(`target.${t.name}`, [t.layout.size]));
    const targetViews = targetPlans.map((t, i) => views(targetIn[i] as Tensor, `target.${t.name}`, t.layout));
    const momentumIn = targetPlans.map((t) => graph.input(`target.${t.name}.momentum`, []));
    const extraIn: Record<string, Tensor> = {};
    for (const [k, spec] of Object.entries(options.extraState ?? {})) extraIn[k] = graph.input(`extra.${k}`, spec.shape);
    const batchIn = {} as Record<B, Tensor>;
    for (const [name, spec] of Object.entries(options.batch) as [B, BatchSpec][]) {
      batchIn[name] = graph.input(`batch.${name}`, spec.shape, spec.dtype ?? "float32");
    }

    const bindings = new Map<Parameter | StateBuffer, Tensor>();
    const bindAll = (leaves: Iterable<Parameter | StateBuffer>, pieces: readonly Tensor[]) => [...leaves].forEach((p, i) => bindings.set(p, pieces[i] as Tensor));
    bindAll(parameters.values(), paramViews);
    const statePieces = stateIn && stateLayout ? segmentList(stateIn, stateLayout) : [];
    bindAll(buffers.values(), statePieces);
    targetPlans.forEach((t, i) => bindAll((targetParams.get(t.name) as Map<string, Parameter>).values(), targetViews[i] as Tensor[]));
    const noiseShapes: Shape[] = [];
    const noiseIn: Tensor[] = [];
    const ctx = new BoundContext(true, bindings, (shape) => {
      // NOTE: noise is fed as uint8, one host byte per element, and made u = (k + ½)/256 here:
      // a quarter of the host work and memory traffic of float32 (a BERT-sized step's dropout
      // draws tens of millions of values), at a resolution of 1/256, enough for dropout (p = 0.1
      // keeps an element with probability 230/256 = 0.898).
      noiseShapes.push(shape);
      const bytes = graph.input(`noise.${noiseShapes.length - 1}`, shape, "uint8");
      noiseIn.push(bytes);
      return add(mul(cast(bytes, "float32"), 1 / 256), 1 / 512);
    });

    const { loss, metrics = {}, nextState = {} } = options.loss(ctx, batchIn, extraIn);
    if (loss.size !== 1) throw new ShapeError("TrainStep", `the loss must be a scalar, got ${formatShape(loss.shape)}`);
    const grads = concat(grad(loss, paramViews).map((g) => reshape(g, [-1])));
    const update = traceUpdate(options.optimizer, layout, { params: paramsIn, grads });

    const outputs: Record<string, Tensor> = { params: update.params, loss: reshape(loss, []) };
    for (const [k, t] of Object.entries(update.state)) outputs[`opt.state.${k}`] = t;
    if (stateIn) {
      outputs.state = concat([...buffers.values()].map((b, i) => reshape(ctx.stateUpdates.get(b) ?? (statePieces[i] as Tensor), [-1])));
    }
    targetPlans.forEach((t, i) => {
      const online = concat(t.ranges.map(([a, b]) => slice(update.params, [a], [b])));
      outputs[`target.${t.name}`] = emaUpdate(targetIn[i] as Tensor, online, momentumIn[i] as Tensor);
    });
    for (const [k, input] of Object.entries(extraIn)) {
      const next = nextState[k];
      if (next === undefined) throw new Error(`the loss returned no next value for extra state "${k}"`);
      if (next.size !== input.size) throw new ShapeError("TrainStep", `next "${k}" is ${formatShape(next.shape)}, the state is ${formatShape(input.shape)}`);
      outputs[`extra.${k}`] = reshape(next, input.shape);
    }
    const metricNames = Object.keys(metrics);
    for (const k of metricNames) outputs[`metric.${k}`] = reshape(metrics[k] as Tensor, []);

    const inputs = [
      paramsIn,
      ...(repeated ? [] : paramViews),
      ...(stateIn ? [stateIn] : []),
      ...targetIn,
      ...(repeated ? [] : targetViews.flat()),
      ...momentumIn,
      ...Object.values(extraIn),
      ...Object.values<Tensor>(update.stateInputs),
      ...Object.values<Tensor>(update.scalarInputs),
      ...Object.values<Tensor>(batchIn),
      ...noiseIn,
    ];
    const carried = ["params", ...(stateIn ? ["state"] : []), ...targetPlans.map((t) => `target.${t.name}`), ...Object.keys(extraIn).map((k) => `extra.${k}`), ...Object.keys(update.state).map((k) => `opt.state.${k}`)];
    const program = repeated
      ? await Program.compileRepeated(graph, { inputs, outputs }, { steps: stepsPerRun, carry: Object.fromEntries(carried.map((name) => [name, name])) }, options.compile)
      : await Program.compile(graph, { inputs, outputs }, options.compile);
    primeAllocator();
    return new TrainStep(options, layout, stateLayout, targetPlans, program, noiseShapes, metricNames, parameters, buffers);
  }

  /** Runs one step on a batch; on a non-finite loss throws `NonFiniteLossError` and keeps the old state. */
  async run(batch: Readonly<Record<B, HostTensor>>): Promise<StepResult> {
    return (await this.runSteps([batch]))[0] as StepResult;
  }

  /**
   * Runs one step per batch, in order, in one call into the runtime (at most `stepsPerRun`
   * batches). On a non-finite loss it keeps the steps before that one, and throws
   * `NonFiniteLossError` for it.
   */
  async runSteps(batches: readonly Readonly<Record<B, HostTensor>>[]): Promise<StepResult[]> {
    const n = batches.length;
    if (n < 1 || n > this.stepsPerRun) throw new Error(`runSteps takes 1 to ${this.stepsPerRun} batches, got ${n}`);
    const flat = (data: Float32Array) => hostTensor("float32", [data.length], data);
    const first = this.stepCount;
    const feeds: Record<string, HostTensor> = { params: flat(this.params) };
    if (this.stateLayout) feeds.state = flat(this.state);
    for (const t of this.targetPlans) feeds[`target.${t.name}`] = flat(this.targets[t.name] as Float32Array);
    for (const [k, v] of Object.entries(this.extraState)) {
      feeds[`extra.${k}`] = hostTensor("float32", (this.options.extraState?.[k] as ExtraStateSpec).shape, v);
    }
    for (const [k, v] of Object.entries(this.optimizerState)) feeds[`opt.state.${k}`] = flat(v);
    // What every step reads besides the carried state, in step order; and the RNG state after
    // each step's noise, for a call cut short by a non-finite loss.
    const rngStart = this.rng.state;
    const rngAfter: number[][] = [];
    const perStep: Record<string, HostTensor>[] = batches.map((batch, i) => {
      const step: Record<string, HostTensor> = {};
      for (const t of this.targetPlans) step[`target.${t.name}.momentum`] = scalar(learningRateAt(t.network.momentum, first + i));
      for (const [k, v] of Object.entries(this.options.optimizer.scalars(first + i))) step[`opt.scalar.${k}`] = scalar(v);
      for (const [k, v] of Object.entries(batch) as [B, HostTensor][]) step[`batch.${k}`] = v;
      this.noiseShapes.forEach((shape, j) => {
        step[`noise.${j}`] = hostTensor("uint8", shape, this.rng.bytes(sizeOf(shape)));
      });
      rngAfter.push(this.rng.state);
      return step;
    });
    if (this.program.repeat === null) {
      feedViews(feeds, "params", this.layout, this.params);
      for (const t of this.targetPlans) feedViews(feeds, `target.${t.name}`, t.layout, this.targets[t.name] as Float32Array);
      Object.assign(feeds, perStep[0]);
    } else {
      for (const name of Object.keys(perStep[0] as Record<string, HostTensor>)) feeds[name] = this.stacked(name, perStep.map((s) => s[name] as HostTensor));
    }
    const run = (steps: number) => (this.program.repeat === null ? this.program.run(feeds) : this.program.run(feeds, steps));
    let out = await run(n);
    const take = (name: string) => (out[name] as HostTensor<"float32">).data;
    const losses = take("loss");
    const bad = losses.findIndex((l) => !Number.isFinite(l));
    if (bad === 0) {
      this.rng = new Rng(rngStart);
      throw new NonFiniteLossError(first, Number(losses[0]));
    }
    const kept = bad < 0 ? n : bad;
    if (kept < n) out = await run(kept);
    this.params = take("params");
    if (this.stateLayout) this.state = take("state");
    for (const k of Object.keys(this.optimizerState)) this.optimizerState[k] = take(`opt.state.${k}`);
    for (const t of this.targetPlans) this.targets[t.name] = take(`target.${t.name}`);
    for (const k of Object.keys(this.extraState)) this.extraState[k] = take(`extra.${k}`);
    this.rng = new Rng(rngAfter[kept - 1] as number[]);
    this.stepCount = first + kept;
    const metrics = this.metricNames.map((k) => [k, take(`metric.${k}`)] as const);
    const results = Array.from({ length: kept }, (_, i) => ({
      step: first + i,
      loss: Number(losses[i]),
      metrics: Object.fromEntries(metrics.map(([k, v]) => [k, Number(v[i])])),
    }));
    if (kept < n) throw new NonFiniteLossError(first + kept, Number(losses[kept]), { completed: results });
    return results;
  }

  /**
   * One input's per-step values as the rows of a `[stepsPerRun, ...]` tensor, reused from call to
   * call (rows past this call's steps keep old values; the loop does not read them).
   */
  private stacked(name: string, rows: readonly HostTensor[]): HostTensor {
    const input = this.inputsByName.get(name) as Tensor;
    rows.forEach((r, i) => {
      const problem = r.dtype !== input.dtype || !sameShape(r.shape, input.shape) ? `expects ${input.dtype}${formatShape(input.shape)}, got ${r.dtype}${formatShape(r.shape)}` : hostDataProblem(r.dtype, r.shape, r.data);
      if (problem !== null) throw new ShapeError("TrainStep", `input "${name}" of step ${i} of ${rows.length}: ${problem}`);
    });
    let stack = this.stacks.get(name);
    if (stack === undefined) {
      const row = rows[0] as HostTensor;
      const ArrayType = row.data.constructor as new (length: number) => HostTensor["data"];
      stack = { dtype: input.dtype, shape: [this.stepsPerRun, ...input.shape], data: new ArrayType(this.stepsPerRun * row.data.length) };
      this.stacks.set(name, stack);
    }
    const data = stack.data as Float32Array;
    rows.forEach((r, i) => data.set(r.data as Float32Array, i * r.data.length));
    return stack;
  }

  /** Copies the current parameters and state back into the modules' Parameter and StateBuffer values. */
  syncToModules(): void {
    for (const [k, v] of unpack(this.layout, this.params)) (this.parameters.get(k) as Parameter).value.set(v);
    if (this.stateLayout) for (const [k, v] of unpack(this.stateLayout, this.state)) (this.buffers.get(k) as StateBuffer).value.set(v);
    for (const t of this.targetPlans) {
      const params = [...namedParameters(t.network.module).values()];
      [...unpack(t.layout, this.targets[t.name] as Float32Array).values()].forEach((v, i) => (params[i] as Parameter).value.set(v));
    }
  }

  /** Everything needed to resume exactly: tensors by name, and the step and RNG state. */
  snapshot(): { tensors: Map<string, Float32Array>; step: number; rngState: number[] } {
    const tensors = new Map<string, Float32Array>([["params", this.params]]);
    if (this.stateLayout) tensors.set("state", this.state);
    for (const [k, v] of Object.entries(this.optimizerState)) tensors.set(`opt.${k}`, v);
    for (const [k, v] of Object.entries(this.targets)) tensors.set(`target.${k}`, v);
    for (const [k, v] of Object.entries(this.extraState)) tensors.set(`extra.${k}`, v);
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
    for (const t of this.targetPlans) this.targets[t.name] = take(`target.${t.name}`, t.layout.size);
    for (const [k, v] of Object.entries(this.extraState)) this.extraState[k] = take(`extra.${k}`, v.length);
    this.stepCount = snapshot.step;
    this.rng = new Rng(snapshot.rngState);
  }

  release(): Promise<void> {
    return this.program.release();
  }
}

function planTarget(
  name: string,
  network: TargetNetwork,
  params: ReadonlyMap<string, Parameter>,
  moduleRanges: ReadonlyMap<string, readonly [number, number]>,
  online: FlatLayout,
): TargetPlan {
  const ranges = network.follows.map((m) => {
    const r = moduleRanges.get(m);
    if (r === undefined) throw new Error(`target "${name}" follows "${m}", which is not one of the trained modules (${[...moduleRanges.keys()].join(", ")})`);
    return r;
  });
  const onlineShapes = online.segments.filter((s) => ranges.some(([a, b]) => s.offset >= a && s.offset < b)).map((s) => formatShape(s.shape));
  const targetShapes = [...params.values()].map((p) => formatShape(p.shape));
  if (onlineShapes.join() !== targetShapes.join()) {
    throw new ShapeError("TrainStep", `target "${name}" has parameters ${targetShapes.join(" ")} but follows ${onlineShapes.join(" ")}`);
  }
  const layout = flatLayout(new Map([...params].map(([k, p]) => [k, { shape: p.shape, decay: false }])));
  return { name, network, layout, ranges };
}

let allocatorPrimed = false;

/**
 * NOTE: onnxruntime-node 1.30 copies every fetched output into a new ArrayBuffer, so each step
 * allocates its parameters and optimizer state anew (11 MB for the 0.94M-parameter autoencoder
 * with Adam) and the garbage collector frees the previous ones. glibc's malloc starts with low
 * dynamic thresholds and hands such freed blocks back to the OS, so every step page-faulted its
 * output copies in again (~750 faults and ~2 ms of system time per autoencoder step). Its mmap
 * threshold follows the largest freed mmap'd block, up to 32 MiB, and its trim threshold is
 * twice that (mallopt(3)), so allocating and dropping one 31 MiB buffer once makes freed output
 * copies reusable: ~35 faults per step. With other allocators it is one short-lived allocation.
 */
function primeAllocator(): void {
  if (allocatorPrimed) return;
  allocatorPrimed = true;
  void new ArrayBuffer(31 << 20);
}

/** See `TrainStepOptions.stepsPerRun`. */
const DEFAULT_STEPS_PER_RUN = 8;
/** The host memory the default lets a call's stacked batches take. */
const DEFAULT_STACK_BYTES = 64 << 20;

/** 8 steps per call, or fewer where 8 batches would take more than 64 MiB of host memory. */
function defaultStepsPerRun(batch: Readonly<Record<string, BatchSpec>>): number {
  const bytes = Object.values(batch).reduce((total, spec) => total + sizeOf(spec.shape) * byteSize[spec.dtype ?? "float32"], 0);
  return Math.max(1, Math.min(DEFAULT_STEPS_PER_RUN, Math.floor(DEFAULT_STACK_BYTES / Math.max(1, bytes))));
}

const scalar = (v: number) => hostTensor("float32", [], Float32Array.of(v));

/**
 * One graph input per segment of a flat vector, named `flat[segment]`, that the host feeds as a
 * view into the flat vector (no copy; `feedViews`). The forward pass reads parameters from these
 * rather than from a Split of the flat input, which ORT runs as a copy of the whole vector
 * (0.35–0.4 ms per step for the 0.94M parameters of the MLP autoencoder); the flat input stays
 * for the optimizer's elementwise update. Only a single-step program can: a repeated one carries
 * the flat vector inside the runtime, and splits it there (still faster, by the per-call costs).
 */
function viewInputs(graph: Graph, flat: string, layout: FlatLayout): Tensor[] {
  return layout.segments.map((s) => graph.input(`${flat}[${s.name}]`, s.shape));
}

function feedViews(feeds: Record<string, HostTensor>, flat: string, layout: FlatLayout, data: Float32Array): void {
  for (const s of layout.segments) feeds[`${flat}[${s.name}]`] = hostTensor("float32", s.shape, data.subarray(s.offset, s.offset + s.size));
}

function concatArrays(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
