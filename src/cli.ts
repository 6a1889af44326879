#!/usr/bin/env node
import { main } from "./cli/program.js";

// The bin entry: `pretext <command> …`. Everything is in src/cli/; this only binds the process.

// `pretext methods | head -3` closes the pipe early; that is the reader's choice, not an error.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(0);
  throw e;
});

const code = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
// NOTE: exitCode rather than exit(): stdout may still be draining into a pipe; the process ends
// once the event loop is empty (ORT's native threads do not keep it alive).
process.exitCode = code;
