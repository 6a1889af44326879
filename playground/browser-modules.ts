import { isBuiltin } from "node:module";
import { fileURLToPath } from "node:url";
import type { Plugin } from "vite";
import { NODE_ONLY_MODULES } from "../src/browser-node-only.js";

const SRC = fileURLToPath(new URL("../src/", import.meta.url));
/** The stand-ins for the library's Node-only modules. */
export const STAND_INS = `${SRC}browser-node-only.ts`;

/** Packages that only work in Node (native addons, file readers): never in a browser bundle. */
const NODE_ONLY_PACKAGES = ["onnxruntime-node", "sharp", "@lancedb/lancedb", "mnist", "tsx", "cli-progress", "commander"];

/**
 * Modules allowed to import a Node builtin dynamically: they do it on use and recover, so they
 * load in a browser (dtw.ts: `import("node:os").catch(() => null)`, one thread there). The import
 * is left external, so nothing of Node is bundled.
 */
const GUARDED_IMPORTERS = [`${SRC}eval/dtw.ts`];

export interface BrowserImport {
  /** "replaced": a Node-only library module swapped for its stand-in; "guarded": a dynamic builtin import left out; "forbidden": fails the build. */
  readonly verdict: "replaced" | "guarded" | "forbidden";
  readonly source: string;
  readonly importer: string;
}

export interface BrowserModulesOptions {
  /** Receives every import the plugin judged (for the browser-entry test). */
  readonly record?: (entry: BrowserImport) => void;
}

function nodeOnlyPackage(source: string): boolean {
  return NODE_ONLY_PACKAGES.some((p) => source === p || source.startsWith(`${p}/`));
}

function standInFor(id: string): string | undefined {
  const path = id.split("?")[0] ?? id;
  if (!path.startsWith(SRC)) return undefined;
  return Object.hasOwn(NODE_ONLY_MODULES, path.slice(SRC.length)) ? STAND_INS : undefined;
}

const relative = (path: string): string => path.replace(fileURLToPath(new URL("../", import.meta.url)), "");

/**
 * Keeps Node out of a browser bundle of pretext: the library's Node-only modules become their
 * stand-ins (`src/browser-node-only.ts`), and any other import of a Node builtin or Node-only
 * package fails the build with every offender named (importer → module), so a new top-level
 * `node:` import on the browser entry's path is caught by `vite build`, not by a user's tab.
 */
export function browserModules(options: BrowserModulesOptions = {}): Plugin {
  const forbidden: string[] = [];
  const note = (verdict: BrowserImport["verdict"], source: string, importer: string) => options.record?.({ verdict, source, importer });
  return {
    name: "pretext-browser-modules",
    enforce: "pre",
    buildStart() {
      forbidden.length = 0;
    },
    async resolveId(source, importer, extra) {
      if (importer === undefined) return null;
      if (isBuiltin(source) || nodeOnlyPackage(source)) {
        const dynamic = (extra as { kind?: string }).kind === "dynamic-import";
        if (dynamic && isBuiltin(source) && GUARDED_IMPORTERS.includes(importer)) {
          note("guarded", source, importer);
          return { id: source, external: true };
        }
        note("forbidden", source, importer);
        forbidden.push(`${relative(importer)} imports ${source}`);
        return { id: source, external: true };
      }
      if (!source.startsWith(".") || importer === STAND_INS) return null;
      const resolved = await this.resolve(source, importer, { skipSelf: true });
      const standIn = resolved === null ? undefined : standInFor(resolved.id);
      if (standIn === undefined) return null;
      note("replaced", resolved?.id ?? source, importer);
      return standIn;
    },
    buildEnd() {
      if (forbidden.length > 0) this.error(`Node-only imports in the browser bundle: ${[...new Set(forbidden)].join("; ")}`);
    },
  };
}
