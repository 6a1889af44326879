export { type DType, type HostArray, type HostArrayFor, byteSize, isFloat, onnxDataType } from "./dtype.js";
export { type Shape, ShapeError, broadcastShapes, formatShape, normalizeAxis, sameShape, sizeOf } from "./shape.js";
export {
  type Application,
  type AttributeValue,
  type Constant,
  type InputSpec,
  type OnnxNode,
  Graph,
  Tensor,
  attr,
  graphOf,
  requireFloat,
  toHostArray,
} from "./graph.js";
export { IR_VERSION, type NodeRewrite, OPSET, type ProgramSignature, type RepeatSpec, prune, toOnnxModel, toText } from "./serialize.js";
