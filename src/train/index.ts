export {
  type BatchSpec,
  type ExtraStateSpec,
  type LossOutput,
  NonFiniteLossError,
  type StepResult,
  type TargetNetwork,
  TrainStep,
  type TrainStepOptions,
} from "./train-step.js";
export { type CheckpointOptions, type FitOptions, type FitResult, MAX_NON_FINITE_STEPS, type SkippedStepEvent, type StepEvent, type StopReason, type TrainCallback, fit } from "./fit.js";
export { type CheckpointData, CheckpointError, type LoadedCheckpoint, loadLatestCheckpoint, readCheckpoint, saveCheckpoint } from "./checkpoint.js";
export { decodeSafetensors, encodeSafetensors, readSafetensors } from "./safetensors.js";
export { type ExportOnnxOptions, exportOnnx, saveOnnx } from "./export.js";
export { EvalStep, type EvalResult, type EvalStepOptions } from "./eval-step.js";
