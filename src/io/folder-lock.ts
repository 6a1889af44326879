import { randomBytes } from "node:crypto";
import { linkSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";

/** Who holds a folder's lock. */
interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly command: string;
  readonly started: string;
}

/** Another live process holds the folder: the message says who and what to do. */
export class FolderInUseError extends Error {
  override readonly name = "FolderInUseError";
}

/**
 * A lock file (`{pid, host, command, started}`) that one process at a time holds on a folder it
 * writes: a run folder while `pretrain` trains it, an index folder while `index` fills it.
 *
 * A lock whose owner is gone (its pid no longer runs: a SIGKILL, a crash) or that is unreadable
 * is taken over with a warning, so a crash never leaves a folder stuck; one held on another host
 * is refused (its pid cannot be checked from here). The lock file is complete before it appears
 * (written aside, then hard-linked into place, which fails when one exists), so a reader never
 * takes a half-written lock for a stale one.
 */
export class FolderLock {
  readonly dir: string;
  readonly path: string;
  readonly #fileName: string;
  #held: string | null = null;

  constructor(dir: string, fileName: string) {
    this.dir = dir;
    this.#fileName = fileName;
    this.path = join(dir, fileName);
  }

  /** Takes the lock for this process; returns a warning when it took over a stale one (null otherwise). */
  acquire(command: string): string | null {
    if (this.#held !== null) return null;
    const mine = `${JSON.stringify({ pid: process.pid, host: hostname(), command, started: new Date().toISOString() } satisfies LockOwner)}\n`;
    const temp = join(this.dir, `.${this.#fileName}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`);
    writeFileSync(temp, mine);
    let warning: string | null = null;
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          linkSync(temp, this.path);
          this.#held = mine;
          return warning;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
        }
        const held = readLock(this.path);
        if (held === null) continue; // released meanwhile
        const owner = held.owner;
        if (owner !== null && owner.host !== hostname()) {
          throw new FolderInUseError(`${this.dir}: in use by pretext ${owner.command} on ${owner.host} (pid ${owner.pid}, since ${owner.started}); if nothing runs there any more, delete ${this.path}`);
        }
        if (owner !== null && isRunning(owner.pid)) {
          throw new FolderInUseError(`${this.dir}: in use by pretext ${owner.command} (pid ${owner.pid}, since ${owner.started}); wait for it to finish or stop it`);
        }
        warning = `${this.path}: ${owner === null ? "unreadable" : `left by pretext ${owner.command} (pid ${owner.pid}), which no longer runs`}; taken over`;
        // Removed only if it is still the stale lock just read, not one another process took meanwhile.
        if (readLock(this.path)?.text === held.text) rmSync(this.path, { force: true });
      }
      throw new FolderInUseError(`${this.dir}: its lock keeps changing hands; is another pretext starting on it? Try again`);
    } finally {
      rmSync(temp, { force: true });
    }
  }

  /** Releases the lock this process took (if it still holds it). */
  release(): void {
    if (this.#held === null) return;
    if (readLock(this.path)?.text === this.#held) rmSync(this.path, { force: true });
    this.#held = null;
  }
}

/** The lock file's text and owner (null when it does not parse), or null when there is no lock. */
function readLock(path: string): { text: string; owner: LockOwner | null } | null {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
  try {
    const o = JSON.parse(text) as Partial<LockOwner>;
    const ok = Number.isSafeInteger(o.pid) && typeof o.host === "string" && typeof o.command === "string" && typeof o.started === "string";
    return { text, owner: ok ? (o as LockOwner) : null };
  } catch {
    return { text, owner: null };
  }
}

/** Whether a process with this pid runs (signal 0 checks without sending; EPERM means it runs as another user). */
function isRunning(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
