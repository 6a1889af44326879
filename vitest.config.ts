import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    pool: "forks",
    // NOTE: vitest's default is one worker fewer than the cores, so on the 2-core CI machine the
    // files ran one at a time: 856 s of vitest. Much of a file's time is single-threaded (imports,
    // graph building, child processes, the browser), and with a worker per core it took 662 s,
    // every test passing (2026-12-08).
    maxWorkers: availableParallelism(),
  },
});
