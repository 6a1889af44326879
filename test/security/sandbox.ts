import dns from "node:dns";
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import { syncBuiltinESMExports } from "node:module";
import net from "node:net";
import { resolve, sep } from "node:path";
import tls from "node:tls";
import sharp from "sharp";

/** What the process tried while the sandbox was on. */
export interface SandboxLog {
  /** Outgoing connections and look-ups: each was refused. */
  readonly network: string[];
  /** Every path written, created, renamed to or removed, resolved. */
  readonly writes: string[];
}

type AnyFunction = (...args: never[]) => unknown;

/**
 * Patches this process so that every outgoing connection (net, tls, http, https, fetch, dns) is
 * refused and logged, and every file-system write (fs and fs/promises, sync and async, and sharp's
 * `toFile`) is logged with its path, until the returned `restore` is called. Node's ESM bindings
 * of the built-ins follow the patched objects (`syncBuiltinESMExports`), so code that imported
 * `{ writeFileSync }` sees the patch too. NOTE: worker threads are not patched; pretext's run the
 * compiled step and featurizers, which take their inputs from this thread.
 */
export function sandbox(): { log: SandboxLog; restore: () => void } {
  const log: SandboxLog = { network: [], writes: [] };
  const undo: (() => void)[] = [];
  const patch = <T extends object>(target: T, key: keyof T & string, replacement: (original: AnyFunction) => AnyFunction) => {
    const original = target[key] as unknown as AnyFunction;
    (target as Record<string, unknown>)[key] = replacement(original);
    undo.push(() => ((target as Record<string, unknown>)[key] = original));
  };
  const refuse = (what: string) => () => {
    log.network.push(what);
    throw Object.assign(new Error(`network refused by the test sandbox: ${what}`), { code: "ECONNREFUSED" });
  };
  for (const key of ["connect", "createConnection"] as const) patch(net, key, () => refuse(`net.${key}`));
  patch(net.Socket.prototype, "connect", () => refuse("net.Socket.connect"));
  patch(tls, "connect", () => refuse("tls.connect"));
  for (const key of ["request", "get"] as const) {
    patch(http, key, () => refuse(`http.${key}`));
    patch(https, key, () => refuse(`https.${key}`));
  }
  for (const key of ["lookup", "resolve", "resolve4", "resolve6"] as const) patch(dns, key, () => refuse(`dns.${key}`));
  patch(dns.promises, "lookup", () => refuse("dns.promises.lookup"));
  patch(globalThis, "fetch", () => async () => refuse("fetch")());

  const wrote = (path: unknown) => {
    if (typeof path === "string" || path instanceof URL || Buffer.isBuffer(path)) log.writes.push(resolve(path instanceof URL ? path.pathname : String(path)));
  };
  const writesFirst = (original: AnyFunction) => (...args: never[]) => {
    wrote(args[0]);
    return original(...args);
  };
  const writesSecond = (original: AnyFunction) => (...args: never[]) => {
    wrote(args[1]);
    return original(...args);
  };
  /** `open` writes when its flags are not plain reading. */
  const opens = (original: AnyFunction) => (...args: never[]) => {
    const flags: unknown = args[1];
    if (flags !== undefined && flags !== "r" && flags !== fs.constants.O_RDONLY) wrote(args[0]);
    return original(...args);
  };
  for (const key of ["writeFileSync", "appendFileSync", "mkdirSync", "rmSync", "unlinkSync", "rmdirSync", "createWriteStream", "truncateSync", "writeFile", "appendFile", "mkdir", "rm", "unlink", "rmdir", "truncate"] as const) patch(fs, key, writesFirst);
  for (const key of ["renameSync", "copyFileSync", "linkSync", "symlinkSync", "cpSync", "rename", "copyFile", "link", "symlink", "cp"] as const) patch(fs, key, writesSecond);
  for (const key of ["openSync", "open"] as const) patch(fs, key, opens);
  for (const key of ["writeFile", "appendFile", "mkdir", "rm", "unlink", "rmdir", "truncate"] as const) patch(fs.promises, key, writesFirst);
  for (const key of ["rename", "copyFile", "link", "symlink", "cp"] as const) patch(fs.promises, key, writesSecond);
  patch(fs.promises, "open", opens);
  patch(sharp.prototype, "toFile", (original) =>
    function (this: unknown, ...args: never[]) {
      wrote(args[0]);
      return (original as (...a: never[]) => unknown).apply(this, args);
    } as AnyFunction,
  );
  syncBuiltinESMExports();
  return {
    log,
    restore: () => {
      for (const u of undo.reverse()) u();
      syncBuiltinESMExports();
    },
  };
}

/** Whether `path` is `dir` or inside it. */
export function inside(path: string, dir: string): boolean {
  const d = resolve(dir);
  return path === d || path.startsWith(d + sep);
}
