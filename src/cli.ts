#!/usr/bin/env node
import { main } from "./cli/program.js";

// The bin entry: `pretext <command> …`. Everything is in src/cli/; this only binds the process.
const code = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
// NOTE: exitCode rather than exit(): stdout may still be draining into a pipe; ORT's native
// threads do not keep the process alive, so it ends once the event loop is empty.
process.exitCode = code;
