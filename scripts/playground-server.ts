import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { type Server, createServer } from "node:http";
import { extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "vite";
import { ISOLATION_HEADERS } from "../playground/vite.config.js";

export const PLAYGROUND_DIR = fileURLToPath(new URL("../playground/", import.meta.url));
export const PLAYGROUND_DIST = join(PLAYGROUND_DIR, "dist");

const MIME: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  // NOTE: ORT streams-compiles its binary only when it is served as application/wasm (onnxruntime#19556).
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".bin": "application/octet-stream",
  ".png": "image/png",
  ".svg": "image/svg+xml",
};

/** Builds `playground/` into `playground/dist` with its own Vite config (the digits and ORT's wasm files are written too). */
export async function buildPlayground(outDir = PLAYGROUND_DIST): Promise<string> {
  await build({ configFile: join(PLAYGROUND_DIR, "vite.config.ts"), root: PLAYGROUND_DIR, logLevel: "error", build: { outDir, emptyOutDir: true } });
  return outDir;
}

/**
 * Serves a built playground on 127.0.0.1: every response (files, errors alike) carries the
 * cross-origin isolation headers, `.wasm` is `application/wasm`, and nothing outside `dir` is served.
 * Port 0 picks a free one; the returned URL names the port in use. `isolated: false` leaves the
 * headers out, as a host without them would (the test's check of the one-thread fallback).
 */
export async function servePlayground(dir: string, port: number, { isolated = true } = {}): Promise<{ url: string; server: Server }> {
  const root = resolve(dir);
  const server = createServer((request, response) => {
    if (isolated) {
      for (const [k, v] of Object.entries(ISOLATION_HEADERS)) response.setHeader(k, v);
      // Same-origin resources only; this also lets the page be embedded by nothing else.
      response.setHeader("Cross-Origin-Resource-Policy", "same-origin");
    }
    const path = decodeURIComponent(new URL(request.url ?? "/", "http://127.0.0.1").pathname);
    const file = normalize(join(root, path.endsWith("/") ? `${path}index.html` : path));
    if (file !== root && !file.startsWith(root + sep)) {
      response.writeHead(403).end("outside the playground");
      return;
    }
    stat(file).then(
      (s) => {
        if (!s.isFile()) throw new Error("not a file");
        response.writeHead(200, { "Content-Type": MIME[extname(file)] ?? "application/octet-stream", "Content-Length": s.size, "Cache-Control": "no-cache" });
        if (request.method === "HEAD") response.end();
        else createReadStream(file).pipe(response);
      },
      () => response.writeHead(404, { "Content-Type": "text/plain" }).end(`${path}: not found`),
    );
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolveListen());
  });
  const address = server.address();
  const actual = typeof address === "object" && address !== null ? address.port : port;
  return { url: `http://127.0.0.1:${actual}/`, server };
}
