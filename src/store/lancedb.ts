import { createRequire } from "node:module";

type LanceDb = typeof import("@lancedb/lancedb");
type Arrow = typeof import("apache-arrow");

// LanceDB's native core logs through env_logger and prints a WARN line for routine events
// ("No existing dataset ... it will be created"); a user's own LANCEDB_LOG still wins.
process.env.LANCEDB_LOG ??= "error";

const require = createRequire(import.meta.url);

/**
 * LanceDB and the Arrow build it uses. NOTE: both come through `require`: LanceDB is CommonJS and
 * requires apache-arrow's CommonJS build, while an ES `import` of apache-arrow loads its separate
 * ES build, whose `Table` is another class, and LanceDB then rejects our tables ("Table and inner
 * RecordBatch schemas must be equivalent") — the dual-package hazard. Requiring both here gives
 * one Arrow for every table we build and every result we read.
 */
export const lancedb: LanceDb = require("@lancedb/lancedb") as LanceDb;
export const arrow: Arrow = require("apache-arrow") as Arrow;
