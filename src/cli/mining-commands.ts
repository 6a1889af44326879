import { Command, InvalidArgumentError } from "commander";
import {
  defaultDuplicateThreshold,
  diverseSubset,
  duplicateGroups,
  exactDuplicateGroups,
  exactNeighbours,
  SILHOUETTE_TOLERANCE,
  findClusters,
  kthNeighbourDistance,
  localOutlierFactor,
  topScores,
} from "../mining/index.js";
import type { EmbeddingStore, StoredItems } from "../store/embedding-store.js";
import type { StoreManifest } from "../store/store-manifest.js";
import { fractionArg, nonNegativeIntArg, positiveIntArg } from "./args.js";
import { CliError, type ExitCodeValue, ExitCode, errorMessage } from "./errors.js";
import type { Io } from "./progress.js";
import { type ItemFilterFlags, addFilterOptions, describeRecord, itemFilter, labelName, openStore } from "./search-command.js";

/**
 * `pretext duplicates|outliers|clusters|select <db>`: the mining verbs of `src/mining` over the
 * items of an index (all of them, or those a filter keeps). Each reads the items' vectors into
 * memory once (10^6 × 128 floats is 512 MB) and prints a line per result, or JSON lines with
 * `--json`; every line carries the item's `id`, its score and its `label` and `path` where known.
 */

interface MiningFlags extends ItemFilterFlags {
  readonly json?: boolean;
}

type Line = Record<string, string | number | null | readonly unknown[]>;

/** A mining command: its `<db>` argument, the filter options and `--json`. */
function miningVerb(name: string, description: string, json: string): Command {
  return addFilterOptions(new Command(name).description(description).argument("<db>", "an index folder written by `pretext index`")).option("--json", json);
}

/** Opens the index, reads the items a filter keeps, and hands them to `verb`; closes the store whatever happens. */
async function withItems(db: string, flags: MiningFlags, verb: (items: StoredItems, manifest: StoreManifest) => Promise<void>): Promise<void> {
  const store: EmbeddingStore = await openStore(db);
  try {
    const where = itemFilter(flags, store.manifest);
    let items: StoredItems;
    try {
      items = await store.readAll(where);
    } catch (e) {
      throw new CliError(`${db}: could not read the items: ${errorMessage(e)}${where === undefined ? "" : ` (filter: ${where})`}`);
    }
    if (items.ids.length === 0) throw new CliError(`${db}: no items${where === undefined ? "" : ` pass the filter ${where}`}`, ExitCode.failure);
    await verb(items, store.manifest);
  } finally {
    store.close();
  }
}

/** What a result line says about item `row` of `items`: its id, label, split, index, path and text. */
function itemFields(items: StoredItems, row: number, manifest: StoreManifest): Line {
  const text = items.texts[row] ?? null;
  return {
    id: items.ids[row] as number,
    label: labelName(items.labels[row] as number, manifest),
    split: items.splits[row] as string,
    index: items.indices[row] as number,
    path: items.paths[row] ?? null,
    ...(text === null ? {} : { text }),
  };
}

function rounded(x: number): number {
  return Number.isFinite(x) ? Number(x.toFixed(6)) : x;
}

function emit(io: Io, flags: MiningFlags, lines: readonly Line[], heading: string, score: string): void {
  if (flags.json) {
    for (const line of lines) io.stdout.write(`${JSON.stringify(line)}\n`);
    return;
  }
  io.stdout.write(`${heading}\n`);
  for (const line of lines) io.stdout.write(`${describeRecord(line as Record<string, string | number | null>, score)}\n`);
}

/** Cosine similarity of rows a and b of `[n, dim]` vectors. */
function cosine(x: Float32Array, dim: number, a: number, b: number): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let j = 0; j < dim; j++) {
    const u = x[a * dim + j] as number;
    const v = x[b * dim + j] as number;
    ab += u * v;
    aa += u * u;
    bb += v * v;
  }
  return ab / Math.sqrt(aa * bb || 1);
}

interface DuplicatesFlags extends MiningFlags {
  readonly threshold?: number;
  readonly neighbours: number;
}

function duplicatesCommand(io: Io, done: (code: ExitCodeValue) => void): Command {
  return miningVerb("duplicates", "groups of exact duplicates (same content hash) and near duplicates (cosine similarity above a threshold)", "one JSON line per item of a group on stdout")
    .option("--threshold <s>", "near duplicates are pairs at least this cosine-similar (default: read from the nearest-neighbour similarities, docs/mining.md)", fractionArg)
    .option("--neighbours <n>", "neighbours compared per item (a group grows through chains of them)", positiveIntArg, 10)
    .action(async (db: string, flags: DuplicatesFlags) => {
    await withItems(db, flags, async (items, manifest) => {
      const n = items.ids.length;
      const lines: Line[] = [];
      const exact = exactDuplicateGroups(items.hashes);
      const k = Math.min(flags.neighbours, n - 1);
      let threshold = flags.threshold ?? null;
      let near: Int32Array[] = [];
      if (k > 0) {
        const neighbours = await exactNeighbours(items.vectors, items.dim, { k });
        threshold ??= defaultDuplicateThreshold(Float32Array.from({ length: n }, (_, i) => neighbours.similarities[i * k] as number));
        // Exact groups are reported as such; a near group is kept when it is more than one exact group.
        const hashGroup = new Map<number, number>();
        exact.forEach((g, i) => g.forEach((row) => hashGroup.set(row, i)));
        near = duplicateGroups(neighbours, threshold).filter((g) => new Set(Array.from(g, (row) => hashGroup.get(row) ?? -1 - row)).size > 1);
      }
      const groups = [...exact.map((g) => ({ kind: "exact", rows: g })), ...near.map((g) => ({ kind: "near", rows: g }))];
      groups.forEach(({ kind, rows }, group) => {
        const first = rows[0] as number;
        rows.forEach((row, member) => {
          lines.push({ group, kind, size: rows.length, rank: member + 1, similarity: rounded(cosine(items.vectors, items.dim, first, row)), ...itemFields(items, row, manifest) });
        });
      });
      if (flags.json) {
        for (const line of lines) io.stdout.write(`${JSON.stringify(line)}\n`);
      } else {
        const fence = threshold === null ? "" : `, near ones at cosine similarity ≥ ${threshold.toFixed(6)}${flags.threshold === undefined ? " (the default fence)" : ""}`;
        io.stdout.write(`${exact.length} exact and ${near.length} near-duplicate groups among ${n} items${fence}; similarities are to each group's first item\n`);
        for (const line of lines) {
          if (line.rank === 1) io.stdout.write(`group ${line.group}: ${line.kind}, ${line.size} items\n`);
          io.stdout.write(`${describeRecord(line as Record<string, string | number | null>, "similarity")}\n`);
        }
      }
      done(ExitCode.ok);
    });
  });
}

interface OutliersFlags extends MiningFlags {
  readonly top: number;
  readonly by: "knn" | "lof";
  readonly k: number;
}

function outliersCommand(io: Io, done: (code: ExitCodeValue) => void): Command {
  return miningVerb("outliers", "the items farthest from the rest: distance to the k-th nearest neighbour, or the local outlier factor", "one JSON line per item on stdout")
    .option("--top <n>", "how many items", positiveIntArg, 50)
    .option("--by <score>", "knn (cosine distance to the k-th nearest other item) or lof (local outlier factor)", outlierScoreArg, "knn")
    .option("-k, --k <n>", "neighbours (knn: which one; lof: how many)", positiveIntArg, 10)
    .action(async (db: string, flags: OutliersFlags) => {
    await withItems(db, flags, async (items, manifest) => {
      const n = items.ids.length;
      if (flags.k >= n) throw new CliError(`-k ${flags.k}: the items number ${n}; give k < ${n}`);
      const neighbours = await exactNeighbours(items.vectors, items.dim, { k: flags.k });
      const scores = flags.by === "lof" ? localOutlierFactor(neighbours) : kthNeighbourDistance(neighbours);
      const lines = Array.from(topScores(scores, flags.top), (row, i): Line => ({ rank: i + 1, score: rounded(scores[row] as number), ...itemFields(items, row, manifest) }));
      const what = flags.by === "lof" ? `local outlier factor over ${flags.k} neighbours` : `cosine distance to the ${ordinal(flags.k)} nearest item`;
      emit(io, flags, lines, `${lines.length} most outlying of ${n} items by ${what}:`, "score");
      done(ExitCode.ok);
    });
  });
}

function outlierScoreArg(value: string): "knn" | "lof" {
  if (value === "knn" || value === "lof") return value;
  throw new InvalidArgumentError("expected knn or lof.");
}

function ordinal(k: number): string {
  const tens = k % 100;
  const suffix = tens >= 11 && tens <= 13 ? "th" : (["th", "st", "nd", "rd"][k % 10] ?? "th");
  return `${k}${suffix}`;
}

interface ClustersFlags extends MiningFlags {
  readonly k?: number;
  readonly central: number;
  readonly seed: number;
  readonly assignments?: boolean;
}

function clustersCommand(io: Io, done: (code: ExitCodeValue) => void): Command {
  return miningVerb("clusters", "k-means clusters of the items with each one's size, most central items and (given labels) purity", "one JSON line per cluster on stdout")
    .option("-k, --k <n>", "clusters (default: of 2 to 30, the largest k within 0.01 of the best mean silhouette)", positiveIntArg)
    .option("--central <n>", "most central items listed per cluster", positiveIntArg, 5)
    .option("--seed <n>", "seeds k-means", nonNegativeIntArg, 0)
    .option("--assignments", "with --json: one line per item (its cluster) instead of one per cluster")
    .action(async (db: string, flags: ClustersFlags) => {
    await withItems(db, flags, async (items, manifest) => {
      const n = items.ids.length;
      if (flags.k !== undefined && flags.k > n) throw new CliError(`-k ${flags.k}: the items number ${n}`);
      const labelled = items.labels.some((y) => y >= 0);
      const result = findClusters(items.vectors, items.dim, {
        ...(flags.k === undefined ? {} : { k: flags.k }),
        ...(labelled ? { labels: items.labels } : {}),
        central: flags.central,
        seed: flags.seed,
      });
      if (flags.json && flags.assignments) {
        for (let row = 0; row < n; row++) io.stdout.write(`${JSON.stringify({ cluster: result.assignments[row], ...itemFields(items, row, manifest) })}\n`);
        done(ExitCode.ok);
        return;
      }
      const lines = result.clusters.map(
        (c, cluster): Line => ({
          cluster,
          size: c.size,
          majority_label: labelName(c.majorityLabel, manifest),
          purity: c.purity === null ? null : rounded(c.purity),
          central: Array.from(c.central, (row) => itemFields(items, row, manifest)),
        }),
      );
      if (flags.json) for (const line of lines) io.stdout.write(`${JSON.stringify(line)}\n`);
      else {
        const rule = result.kRule === "given" ? "k given" : `k by the silhouette rule, the largest k within ${SILHOUETTE_TOLERANCE} of the best mean silhouette (${result.silhouettes.map((s) => `${s.k}: ${s.silhouette.toFixed(3)}`).join(", ")})`;
        io.stdout.write(`${result.k} clusters of ${n} items, ${rule}:\n`);
        for (const line of lines) {
          const central = (line.central as Line[]).map((m) => `${m.id}`).join(", ");
          io.stdout.write(`${String(line.cluster).padStart(4)}  size ${String(line.size).padEnd(7)}${line.purity === null ? "" : ` purity ${(line.purity as number).toFixed(3)} (${line.majority_label})`}  central ids ${central}\n`);
        }
      }
      done(ExitCode.ok);
    });
  });
}

interface SelectFlags extends MiningFlags {
  readonly n: number;
  readonly balanced?: boolean;
  readonly labelled?: string;
  readonly seed: number;
}

function selectCommand(io: Io, done: (code: ExitCodeValue) => void): Command {
  return miningVerb("select", "a diverse subset to label first: greedy k-center over cosine distance (optionally balanced over clusters)", "one JSON line per pick on stdout")
    .requiredOption("--n <n>", "items to pick", positiveIntArg)
    .option("--balanced", "go round the k-means clusters (k by the silhouette rule) so each is represented")
    .option("--labelled <ids>", "comma-separated ids already labelled: the picks cover what they leave uncovered")
    .option("--seed <n>", "seeds the first pick and the clusters", nonNegativeIntArg, 0)
    .action(async (db: string, flags: SelectFlags) => {
    await withItems(db, flags, async (items, manifest) => {
      const rowOf = new Map<number, number>(Array.from(items.ids, (id, row) => [id, row]));
      const selected = Int32Array.from(parseIds(flags.labelled), (id) => {
        const row = rowOf.get(id);
        if (row === undefined) throw new CliError(`--labelled: id ${id} is not among the ${items.ids.length} items${flags.where ?? flags.label ?? flags.split ? " the filter keeps" : ""}`);
        return row;
      });
      const clusters = flags.balanced ? findClusters(items.vectors, items.dim, { seed: flags.seed, central: 0 }).assignments : undefined;
      const subset = diverseSubset(items.vectors, items.dim, Math.min(flags.n, items.ids.length - selected.length), {
        seed: flags.seed,
        selected,
        ...(clusters === undefined ? {} : { clusters }),
      });
      const lines = Array.from(subset.indices, (row, i): Line => ({
        rank: i + 1,
        distance: rounded(subset.distances[i] as number),
        ...(clusters === undefined ? {} : { cluster: clusters[row] as number }),
        ...itemFields(items, row, manifest),
      }));
      emit(io, flags, lines, `${lines.length} items to label first (each pick's distance is to its nearest earlier pick${selected.length > 0 ? " or labelled item" : ""}):`, "distance");
      done(ExitCode.ok);
    });
  });
}

function parseIds(list: string | undefined): number[] {
  if (list === undefined || list.trim() === "") return [];
  return list.split(",").map((s) => {
    if (!/^\s*\d+\s*$/.test(s)) throw new CliError(`--labelled: ${JSON.stringify(s)} is not an item id`);
    return Number(s);
  });
}

/** The four mining verbs over an index, for `program.ts`. */
export function miningCommands(io: Io, done: (code: ExitCodeValue) => void): Command[] {
  return [duplicatesCommand(io, done), outliersCommand(io, done), clustersCommand(io, done), selectCommand(io, done)];
}
