export { type SamplingOptions, type TokenDistribution, argmax, sampleToken, tokenDistribution } from "./sampling.js";
export { type CausalLm, KvCacheDecoder, type KvCacheDecoderOptions } from "./kv-cache-decoder.js";
export {
  type ContextLimit,
  type GenerateOptions,
  type GenerateTextOptions,
  type GenerationEnd,
  type StopReason,
  type TextTokenizer,
  type TokenDecoder,
  generateText,
  generateTokens,
} from "./generate.js";
