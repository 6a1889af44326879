/** Small guards for the JSON the report reads (metrics lines, side files). */

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A finite number, or null (JSON writes a NaN as null). */
export const finite = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

export const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((t) => typeof t === "string");
