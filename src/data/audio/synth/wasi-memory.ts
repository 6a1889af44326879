/**
 * Just enough of WASI preview 1 to run a command-line program that writes its output files into
 * one preopened folder, with that folder in memory. Used for flite instead of `node:wasi`, which
 * crashed the process now and then (a segmentation fault in about 1 run of 8 of 300 utterances,
 * nodejs/node#52402 with this very flite.wasm), and which needs a temporary folder on disk.
 */

/** WASI errno values (preview 1). */
const ERRNO = { success: 0, badf: 8, inval: 28, noent: 44 } as const;

/** Thrown by `proc_exit` to unwind out of the program's `_start`. */
class ProcExit {
  constructor(readonly code: number) {}
}

interface OpenFile {
  readonly name: string;
  position: number;
}

/** The result of one run: the exit code, what it wrote to stdout and stderr, and the files it wrote. */
export interface WasiRun {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly files: ReadonlyMap<string, Uint8Array>;
}

/**
 * Instantiates `module` and runs its `_start` with `args` (`args[0]` is the program's name), a
 * folder preopened as `dir` (fd 3) that starts empty, stdin empty, and a clock frozen at 0 so that
 * a run is a function of its arguments.
 */
export function runWasiInMemory(module: WebAssembly.Module, args: readonly string[], dir: string): WasiRun {
  let memory: WebAssembly.Memory | null = null;
  const view = () => {
    if (memory === null) throw new Error("wasi: the module has not exported its memory yet");
    return new DataView(memory.buffer);
  };
  const bytes = (ptr: number, len: number) => new Uint8Array((memory as WebAssembly.Memory).buffer, ptr, len);
  const encoder = new TextEncoder();
  const encodedArgs = args.map((a) => encoder.encode(`${a}\0`));
  const files = new Map<string, Chunks>();
  const fds = new Map<number, OpenFile>();
  let nextFd = 4;
  const out = { stdout: new Chunks(), stderr: new Chunks() };
  const dirName = encoder.encode(dir);

  const wasi = {
    args_sizes_get(argcPtr: number, bufSizePtr: number): number {
      view().setUint32(argcPtr, encodedArgs.length, true);
      view().setUint32(bufSizePtr, encodedArgs.reduce((n, a) => n + a.length, 0), true);
      return ERRNO.success;
    },
    args_get(argvPtr: number, bufPtr: number): number {
      let at = bufPtr;
      encodedArgs.forEach((a, i) => {
        view().setUint32(argvPtr + 4 * i, at, true);
        bytes(at, a.length).set(a);
        at += a.length;
      });
      return ERRNO.success;
    },
    clock_time_get(_id: number, _precision: bigint, timePtr: number): number {
      view().setBigUint64(timePtr, 0n, true);
      return ERRNO.success;
    },
    fd_prestat_get(fd: number, prestatPtr: number): number {
      if (fd !== 3) return ERRNO.badf;
      view().setUint8(prestatPtr, 0); // a directory
      view().setUint32(prestatPtr + 4, dirName.length, true);
      return ERRNO.success;
    },
    fd_prestat_dir_name(fd: number, pathPtr: number, pathLen: number): number {
      if (fd !== 3) return ERRNO.badf;
      bytes(pathPtr, Math.min(pathLen, dirName.length)).set(dirName.subarray(0, pathLen));
      return ERRNO.success;
    },
    fd_fdstat_get(fd: number, statPtr: number): number {
      if (fd > 3 && !fds.has(fd)) return ERRNO.badf;
      const v = view();
      v.setUint8(statPtr, fd === 3 ? 3 : fd <= 2 ? 2 : 4); // directory, character device, regular file
      v.setUint16(statPtr + 2, 0, true);
      v.setBigUint64(statPtr + 8, 0xffffffffffffffffn, true); // every right
      v.setBigUint64(statPtr + 16, 0xffffffffffffffffn, true);
      return ERRNO.success;
    },
    fd_fdstat_set_flags(): number {
      return ERRNO.success;
    },
    path_open(dirFd: number, _dirFlags: number, pathPtr: number, pathLen: number, oflags: number, _rights: bigint, _inheriting: bigint, _fdFlags: number, fdPtr: number): number {
      if (dirFd !== 3) return ERRNO.badf;
      const name = new TextDecoder().decode(bytes(pathPtr, pathLen));
      const create = (oflags & 1) !== 0;
      const truncate = (oflags & 8) !== 0;
      if (!files.has(name)) {
        if (!create) return ERRNO.noent;
        files.set(name, new Chunks());
      } else if (truncate) files.set(name, new Chunks());
      const fd = nextFd++;
      fds.set(fd, { name, position: 0 });
      view().setUint32(fdPtr, fd, true);
      return ERRNO.success;
    },
    fd_write(fd: number, iovsPtr: number, iovsLen: number, nwrittenPtr: number): number {
      const target = fd === 1 ? out.stdout : fd === 2 ? out.stderr : files.get(fds.get(fd)?.name ?? "");
      const file = fds.get(fd);
      if (target === undefined) return ERRNO.badf;
      let written = 0;
      for (let i = 0; i < iovsLen; i++) {
        const ptr = view().getUint32(iovsPtr + 8 * i, true);
        const len = view().getUint32(iovsPtr + 8 * i + 4, true);
        const at = file === undefined ? target.length : file.position;
        target.write(at, bytes(ptr, len));
        if (file !== undefined) file.position += len;
        written += len;
      }
      view().setUint32(nwrittenPtr, written, true);
      return ERRNO.success;
    },
    fd_read(fd: number, _iovsPtr: number, _iovsLen: number, nreadPtr: number): number {
      if (fd !== 0 && !fds.has(fd)) return ERRNO.badf;
      view().setUint32(nreadPtr, 0, true); // stdin is empty; files are only written
      return ERRNO.success;
    },
    fd_seek(fd: number, offset: bigint, whence: number, newOffsetPtr: number): number {
      const file = fds.get(fd);
      if (file === undefined) return fd <= 2 ? ERRNO.inval : ERRNO.badf;
      const size = files.get(file.name)?.length ?? 0;
      const base = whence === 0 ? 0 : whence === 1 ? file.position : size;
      const position = base + Number(offset);
      if (position < 0) return ERRNO.inval;
      file.position = position;
      view().setBigUint64(newOffsetPtr, BigInt(position), true);
      return ERRNO.success;
    },
    fd_close(fd: number): number {
      if (fd <= 3) return ERRNO.success;
      return fds.delete(fd) ? ERRNO.success : ERRNO.badf;
    },
    proc_exit(code: number): never {
      throw new ProcExit(code);
    },
  };
  // The 13 calls flite.wasm imports; a module importing others fails to instantiate, by name.
  const imports: WebAssembly.Imports = { wasi_snapshot_preview1: wasi };
  const instance = new WebAssembly.Instance(module, imports);
  const exported = instance.exports.memory;
  if (!(exported instanceof WebAssembly.Memory)) throw new Error("wasi: the module exports no memory");
  memory = exported;
  const start = instance.exports._start;
  if (typeof start !== "function") throw new Error("wasi: the module has no _start");
  let exitCode = 0;
  try {
    start();
  } catch (e) {
    if (!(e instanceof ProcExit)) throw e;
    exitCode = e.code;
  }
  const decoder = new TextDecoder();
  return { exitCode, stdout: decoder.decode(out.stdout.bytes()), stderr: decoder.decode(out.stderr.bytes()), files: new Map([...files].map(([k, v]) => [k, v.bytes()])) };
}

/** A growable byte buffer written at any position (a WAV writer seeks back to fill in its header). */
class Chunks {
  #data = new Uint8Array(64 * 1024);
  length = 0;

  write(at: number, src: Uint8Array): void {
    const end = at + src.length;
    if (end > this.#data.length) {
      const grown = new Uint8Array(Math.max(end, 2 * this.#data.length));
      grown.set(this.#data.subarray(0, this.length));
      this.#data = grown;
    }
    this.#data.set(src, at);
    this.length = Math.max(this.length, end);
  }

  bytes(): Uint8Array {
    return this.#data.slice(0, this.length);
  }
}
