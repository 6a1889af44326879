export { AudioCnn, type AudioCnnOptions } from "./audio-cnn.js";
export { MlpEncoder, type MlpEncoderOptions } from "./mlp-encoder.js";
export { BasicBlock, Downsample, ResNet18Cifar, type ResNet18CifarOptions } from "./resnet.js";
export { ConvBnRelu, SmallCnn, type SmallCnnOptions } from "./small-cnn.js";
export { TextTransformer, type TextTransformerOptions, meanOverTokens } from "./text-transformer.js";
export { TinyGpt, type TinyGptOptions, TransformerEncoder, type TransformerEncoderOptions, anchorLmOptions } from "./transformer.js";
export { VisionTransformer, type VisionTransformerOptions } from "./vit.js";
