/**
 * The `mining` rows of `npm run bench`: bench/mining.ts in child processes (each with its own
 * peak RSS), beside PyTorch on the same machine in the same run.
 *
 * - index_smallcnn_<N>: items/s from images to LanceDB rows; PyTorch's figure is the SmallCnn
 *   embedding inference of reference.py (batch 1024, no database: the work PyTorch would do for
 *   the same job before writing anything anywhere).
 * - search_exact_<N>, search_ivfpq_<N>: queries/s (1000 / p50 latency, one query at a time) of
 *   LanceDB's flat scan and of its IVF-PQ index; PyTorch's figure is brute force (unit vectors,
 *   one matrix-vector product and topk per query: bench/pytorch/exact_search.py) on the same
 *   vectors and queries.
 */
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Row } from "./run.js";

export interface MiningOptions {
  /** Items indexed, one child each (default 10^4 and 10^6). */
  readonly items: readonly number[];
  /** Vectors searched, one child each (default 10^5 and 10^6). */
  readonly vectors: readonly number[];
  readonly pytorch: boolean;
}

const here = dirname(fileURLToPath(import.meta.url));

function runJson<T>(command: string, argv: readonly string[], what: string): T | null {
  const p = spawnSync(command, argv, { encoding: "utf8", maxBuffer: 1 << 26 });
  if (p.status !== 0) {
    process.stderr.write(`${what} failed:\n${p.stderr}`);
    return null;
  }
  return JSON.parse((p.stdout.trim().split("\n").pop() ?? "").trim()) as T;
}

const ours = (argv: readonly string[], what: string) => runJson<Record<string, number | string | number[]>>(process.execPath, [...process.execArgv, join(here, "mining.ts"), "--json", ...argv], what);

const short = (n: number) => (n >= 1e6 && n % 1e6 === 0 ? `${n / 1e6}m` : n >= 1e3 && n % 1e3 === 0 ? `${n / 1e3}k` : String(n));
const round = (x: number | null, digits = 1) => (x === null ? null : Number(x.toFixed(digits)));

/** The rows, and lines saying what each measured (latencies, recall, build time). */
export function miningRows(options: MiningOptions): { rows: Row[]; notes: string[] } {
  const rows: Row[] = [];
  const notes: string[] = [];
  const torchInfer = options.pytorch ? runJson<{ value: number; rss_mb: number }>("/usr/bin/python3", [join(here, "pytorch", "reference.py"), "--only", "infer", "--steps", "20", "--warmup", "5"], "pytorch infer") : null;
  for (const n of options.items) {
    const r = ours(["--index", String(n)], `index ${n}`);
    const value = r === null ? null : (r.items_per_s as number);
    rows.push({
      bench: `index_smallcnn_${short(n)}`,
      unit: "items/s",
      ours: round(value),
      pytorch: round(torchInfer?.value ?? null),
      ratio: value !== null && torchInfer ? round(value / torchInfer.value, 3) : null,
      rss_mb: round(r === null ? null : (r.rss_mb as number), 0),
      pytorch_rss_mb: round(torchInfer?.rss_mb ?? null, 0),
    });
    if (r !== null) notes.push(`index ${n} items: ${(r.seconds as number).toFixed(1)} s, peak RSS ${(r.rss_mb as number).toFixed(0)} MB (PyTorch: inference only, no table)`);
  }
  for (const n of options.vectors) {
    const r = ours(["--search", String(n), "--keep"], `search ${n}`);
    if (r === null) continue;
    const torch = options.pytorch
      ? runJson<{ p50_ms: number; p99_ms: number; matches_truth: boolean | null }>(
          "/usr/bin/python3",
          [join(here, "pytorch", "exact_search.py"), r.vectors_file as string, r.queries_file as string, "128", JSON.stringify(r.truth)],
          `pytorch search ${n}`,
        )
      : null;
    rmSync(dirname(r.vectors_file as string), { recursive: true, force: true });
    const torchQps = torch === null ? null : 1000 / torch.p50_ms;
    for (const kind of ["exact", "ivfpq"] as const) {
      const qps = 1000 / (r[`${kind}_p50_ms`] as number);
      rows.push({
        bench: `search_${kind}_${short(n)}`,
        unit: "queries/s",
        ours: round(qps),
        pytorch: round(torchQps),
        ratio: torchQps === null ? null : round(qps / torchQps, 3),
        rss_mb: round(r.rss_mb as number, 0),
        pytorch_rss_mb: null,
      });
    }
    const ms = (x: unknown) => (x as number).toFixed(1);
    notes.push(
      `search ${n} × 128: exact p50/p99 ${ms(r.exact_p50_ms)}/${ms(r.exact_p99_ms)} ms; IVF-PQ p50/p99 ${ms(r.ivfpq_p50_ms)}/${ms(r.ivfpq_p99_ms)} ms, recall@10 ${(r.ivfpq_recall_at_10 as number).toFixed(3)}, built in ${ms(r.ivfpq_build_s)} s` +
        (torch === null ? "" : `; PyTorch brute force p50/p99 ${ms(torch.p50_ms)}/${ms(torch.p99_ms)} ms${torch.matches_truth === false ? " (its top 10 differs from ours!)" : ""}`),
    );
  }
  return { rows, notes };
}
