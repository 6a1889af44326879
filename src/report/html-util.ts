/** Small HTML pieces the report's renderers share. Everything that comes from data goes through `escapeHtml`. */

export const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);

/** A card before rendering: `what` is HTML (the renderer's own text), `body` is HTML. */
export interface CardSpec {
  readonly title: string;
  readonly what: string;
  readonly body: string;
}

export function card(title: string, what: string, body: string, wide = false): string {
  return `<section class="card${wide ? " wide" : ""}"><h2>${escapeHtml(title)}</h2><p class="what">${what}</p>${body}</section>`;
}

export const renderCard = (c: CardSpec, wide = false): string => card(c.title, c.what, c.body, wide);

export const chartBox = (id: string, tall = false): string => `<div class="chart${tall ? " tall" : ""}"><canvas id="${id}" role="img"></canvas></div>`;
export const note = (text: string): string => `<p class="note">${escapeHtml(text)}</p>`;
