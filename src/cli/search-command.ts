import { Command } from "commander";
import { EmbeddingStore, type SearchHit } from "../store/embedding-store.js";
import type { StoreManifest } from "../store/store-manifest.js";
import { positiveIntArg } from "./args.js";
import { CliError, ExitCode, type ExitCodeValue, errorMessage } from "./errors.js";
import type { Io } from "./progress.js";
import { queryVector } from "./query-item.js";

/** Filters every mining command takes: a label, a split, or any LanceDB SQL predicate. */
export interface ItemFilterFlags {
  readonly where?: string;
  readonly label?: string;
  readonly split?: string;
}

export function addFilterOptions(c: Command): Command {
  return c
    .option("--label <name>", "only items of this class (its name, or its id)")
    .option("--split <name>", "only items of this split (train, test)")
    .option("--where <sql>", "only items passing this filter over the columns id, split, index, label, path (LanceDB SQL)");
}

/** The flags as one LanceDB filter, or undefined for every item. */
export function itemFilter(flags: ItemFilterFlags, manifest: StoreManifest): string | undefined {
  const parts: string[] = [];
  if (flags.label !== undefined) parts.push(`label = ${labelId(flags.label, manifest)}`);
  if (flags.split !== undefined) {
    if (!manifest.splits.some((s) => s.name === flags.split)) throw new CliError(`--split ${flags.split}: the index has ${manifest.splits.map((s) => s.name).join(", ")}`);
    parts.push(`split = '${flags.split}'`);
  }
  if (flags.where !== undefined) parts.push(`(${flags.where})`);
  return parts.length === 0 ? undefined : parts.join(" AND ");
}

function labelId(label: string, manifest: StoreManifest): number {
  const names = manifest.classNames;
  const byName = names?.indexOf(label) ?? -1;
  if (byName >= 0) return byName;
  if (/^\d+$/.test(label) && (names === null || Number(label) < names.length)) return Number(label);
  throw new CliError(`--label ${label}: not a class of the index${names === null ? " (its labels are numbers)" : ` (${names.slice(0, 8).join(", ")}${names.length > 8 ? ", ..." : ""})`}`);
}

/** A class id as shown: its name when the data names its classes. */
export function labelName(label: number | null, manifest: StoreManifest): string | null {
  if (label === null || label < 0) return null;
  return manifest.classNames?.[label] ?? String(label);
}

/** Opens `<db>` for a mining command: an error names the folder; an incomplete index is refused. */
export async function openStore(dir: string): Promise<EmbeddingStore> {
  let store: EmbeddingStore;
  try {
    store = await EmbeddingStore.open(dir);
  } catch (e) {
    throw new CliError(errorMessage(e), ExitCode.failure);
  }
  if (!(await store.isComplete())) {
    store.close();
    throw new CliError(`${dir}: the index is incomplete (interrupted?); run \`pretext index\` again with the same --db to finish it`, ExitCode.failure);
  }
  return store;
}

/** One result as a JSON line: the item's id, its score, and its label, path, split and text where known. */
export function hitRecord(hit: SearchHit, manifest: StoreManifest, rank: number): Record<string, string | number | null> {
  return {
    rank,
    id: hit.id,
    similarity: Number(hit.similarity.toFixed(6)),
    label: labelName(hit.label, manifest),
    split: hit.split,
    index: hit.index,
    path: hit.path,
    ...(hit.text === null ? {} : { text: hit.text }),
  };
}

interface SearchFlags extends ItemFilterFlags {
  readonly like: string;
  readonly k: number;
  readonly exact?: boolean;
  readonly json?: boolean;
}

export function searchCommand(io: Io, done: (code: ExitCodeValue) => void): Command {
  const command = new Command("search")
    .description("the items of an index most similar to an item, a file or (for text) a query string")
    .argument("<db>", "an index folder written by `pretext index`")
    .requiredOption("--like <item>", "an item id, a file (image, .wav or .txt), or a text to search with")
    .option("-k, --k <n>", "how many results", positiveIntArg, 10)
    .option("--exact", "compare with every item even when the index has an IVF-PQ index")
    .option("--json", "one JSON line per result on stdout");
  return addFilterOptions(command).action(async (db: string, flags: SearchFlags) => {
    const store = await openStore(db);
    try {
      const query = await queryVector(store, flags.like);
      const where = itemFilter(flags, store.manifest);
      let hits: SearchHit[];
      try {
        // One more, so the query item itself can be left out of its own results.
        hits = await store.search(query.vector, { k: flags.k + (query.itemId === null ? 0 : 1), ...(where === undefined ? {} : { where }), exact: flags.exact === true });
      } catch (e) {
        throw new CliError(`${db}: search failed: ${errorMessage(e)}${where === undefined ? "" : ` (filter: ${where})`}`);
      }
      hits = hits.filter((h) => h.id !== query.itemId).slice(0, flags.k);
      const records = hits.map((h, i) => hitRecord(h, store.manifest, i + 1));
      if (flags.json) for (const r of records) io.stdout.write(`${JSON.stringify(r)}\n`);
      else {
        io.stdout.write(`${hits.length} most similar to ${query.describe} in ${db}${where === undefined ? "" : ` where ${where}`}:\n`);
        for (const r of records) io.stdout.write(`${describeRecord(r)}\n`);
      }
      done(ExitCode.ok);
    } finally {
      store.close();
    }
  });
}

/** A result as a line for a person: rank, id, score, label, and where the item is. */
export function describeRecord(r: Record<string, string | number | null>, score = "similarity"): string {
  const where = r.path ?? (typeof r.text === "string" ? JSON.stringify(r.text.length > 70 ? `${r.text.slice(0, 67)}...` : r.text) : `${r.split} #${r.index}`);
  const value = r[score];
  return `${String(r.rank).padStart(4)}  id ${String(r.id).padEnd(7)} ${score} ${typeof value === "number" ? value.toFixed(4) : String(value)}  label ${r.label ?? "-"}  ${where}`;
}
