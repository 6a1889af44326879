export { adam, adamw, type AdamOptions } from "./adam.js";
export { addCoupledDecay, maskedDecay } from "./decay.js";
export { cosineMomentum, type CosineMomentumOptions, emaUpdate } from "./ema.js";
export { lars, type LarsOptions } from "./lars.js";
export {
  type FlatLayout,
  type ParameterSpec,
  type Segment,
  decayMask,
  decayMaskTensor,
  flatLayout,
  pack,
  segmentList,
  segments,
  unpack,
} from "./layout.js";
export {
  type LearningRate,
  type Optimizer,
  type StepScalars,
  type TracedUpdate,
  type UpdateArgs,
  type UpdateResult,
  chain,
  clipByGlobalNorm,
  globalNorm,
  learningRateAt,
  traceUpdate,
} from "./optimizer.js";
export { type GroupOf, partition } from "./partition.js";
export { type Schedule, constant, warmupCosine } from "./schedule.js";
export { type SgdOptions, sgd } from "./sgd.js";
