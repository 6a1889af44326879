import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { type Plugin, defineConfig } from "vite";
import { type BrowserImport, browserModules } from "./browser-modules.js";
import { playgroundDigitsBytes } from "./digits-asset.js";

const require = createRequire(import.meta.url);
const ortDist = fileURLToPath(new URL(".", `file://${require.resolve("onnxruntime-web/wasm")}`));
/** The wasm build's runtime: the glue module (which also starts ORT's thread workers) and the binary. */
const ORT_FILES = ["ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm"];

/** Headers every response needs for multi-threaded wasm (SharedArrayBuffer needs cross-origin isolation). */
export const ISOLATION_HEADERS = { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" } as const;

/** Writes the static files the app loads at run time: ORT's wasm runtime under ort/, and the bundled digits. */
function playgroundAssets(): Plugin {
  return {
    name: "pretext-playground-assets",
    apply: "build",
    generateBundle() {
      for (const name of ORT_FILES) this.emitFile({ type: "asset", fileName: `ort/${name}`, source: readFileSync(`${ortDist}${name}`) });
      this.emitFile({ type: "asset", fileName: "digits.bin", source: playgroundDigitsBytes() });
    },
  };
}

/** Set by the browser-entry test to see every import the plugin judged; unset, forbidden imports fail the build. */
export function playgroundConfig(record?: (entry: BrowserImport) => void) {
  const modules = () => browserModules(record === undefined ? {} : { record });
  return defineConfig({
    root: fileURLToPath(new URL(".", import.meta.url)),
    base: "./",
    logLevel: "warn",
    plugins: [modules(), playgroundAssets()],
    resolve: {
      // NOTE: the CPU-only wasm build (14 MB) rather than the default JSEP one (28 MB, WebGPU and
      // WebNN); the extern-wasm entry loads its glue from env.wasm.wasmPaths, served by the app.
      alias: [{ find: /^onnxruntime-web$/, replacement: `${ortDist}ort.wasm.min.mjs` }],
    },
    worker: { format: "es", plugins: () => [modules()] },
    // NOTE: the dependency optimizer rewrites import.meta.url asset paths (vite#7287).
    optimizeDeps: { exclude: ["onnxruntime-web"] },
    server: { headers: ISOLATION_HEADERS, host: "127.0.0.1" },
    preview: { headers: ISOLATION_HEADERS, host: "127.0.0.1" },
    build: { outDir: "dist", emptyOutDir: true, target: "es2022", chunkSizeWarningLimit: 2000, reportCompressedSize: false },
  });
}

export default playgroundConfig();
