export * from "./elementwise.js";
export * from "./reduce.js";
export * from "./shape.js";
export * from "./indexing.js";
export * from "./linalg.js";
export * from "./conv.js";
export { type OpDef, type TensorLike, type VjpRule, defineOp } from "./op.js";
