export { type SamplingOptions, type TokenDistribution, argmax, sampleToken, tokenDistribution } from "./sampling.js";
export { type CausalLm, KvCacheDecoder, type KvCacheDecoderOptions } from "./kv-cache-decoder.js";
