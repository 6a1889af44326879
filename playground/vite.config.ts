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

/**
 * The static files the app loads at run time, ORT's wasm runtime under ort/ and the bundled
 * digits: emitted into a build, and served by `vite dev` from memory.
 */
function playgroundAssets(): Plugin {
  const files = (): Map<string, { bytes: Uint8Array; type: string }> => {
    const out = new Map<string, { bytes: Uint8Array; type: string }>();
    for (const name of ORT_FILES) out.set(`ort/${name}`, { bytes: readFileSync(`${ortDist}${name}`), type: name.endsWith(".wasm") ? "application/wasm" : "text/javascript" });
    out.set("digits.bin", { bytes: playgroundDigitsBytes(), type: "application/octet-stream" });
    return out;
  };
  return {
    name: "pretext-playground-assets",
    generateBundle() {
      for (const [fileName, { bytes }] of files()) this.emitFile({ type: "asset", fileName, source: bytes });
    },
    configureServer(server) {
      let served: ReturnType<typeof files> | undefined;
      server.middlewares.use((request, response, next) => {
        const path = (request.url ?? "").split("?")[0]?.replace(/^\//, "") ?? "";
        served ??= files();
        const file = served.get(path);
        if (file === undefined) return next();
        // Vite's server.headers are added after plugin middlewares, so these responses set them themselves.
        for (const [k, v] of Object.entries(ISOLATION_HEADERS)) response.setHeader(k, v);
        response.setHeader("Content-Type", file.type);
        response.end(file.bytes);
      });
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
