// The results chart as a hand-written SVG: two panels of grouped bars (server CPU ms per 1,000
// deliveries, and p99 latency), one group per workload and shape, one bar per system.
import type { TimedSummary } from './workloads/timed-result.js';

const COLORS: Readonly<Record<string, string>> = {
  'sio-redis': '#9e9e9e',
  'ours-redis': '#d62728',
  'ws-redis': '#ff9896',
  'ours-kafka': '#1f77b4',
  'kafka-loop': '#aec7e8',
  'ours-memory': '#2ca02c',
  'ws-single': '#98df8a',
};
const WIDTH = 960;
const PANEL = 280;
const LEFT = 60;
const TOP = 50;

const escape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A "nice" axis maximum (1, 2 or 5 times a power of ten) above `v`. */
function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return ([1, 2, 5, 10].find((m) => m * p >= v) ?? 10) * p;
}

/** Linear, or log10 from 1 (latencies span 1 ms to seconds on a loaded machine; linear flattens all but one bar). */
function panel(rows: readonly TimedSummary[], pick: (r: TimedSummary) => number, title: string, y0: number, log = false): string {
  const groups = [...new Set(rows.map((r) => `${r.workload} ${r.shape}`))];
  const systems = [...new Set(rows.map((r) => r.system))];
  const values = rows.map(pick).filter((v) => Number.isFinite(v));
  const top = Math.max(0, ...values);
  const max = log ? 10 ** Math.max(1, Math.ceil(Math.log10(Math.max(top, 1)))) : niceMax(top);
  const scale = (v: number): number => (log ? Math.log10(Math.max(1, Math.min(v, max))) / Math.log10(max) : Math.min(v, max) / max);
  const ticks = log ? Math.round(Math.log10(max)) : 4;
  const plotW = WIDTH - LEFT - 20;
  const groupW = plotW / Math.max(1, groups.length);
  const barW = Math.max(4, (groupW - 16) / Math.max(1, systems.length));
  const parts: string[] = [`<text x="${LEFT}" y="${y0 - 12}" font-size="14" font-weight="bold">${escape(title)}</text>`];
  for (let i = 0; i <= ticks; i++) {
    const y = y0 + PANEL - (PANEL * i) / ticks;
    const label = log ? 10 ** i : +((max * i) / ticks).toPrecision(3);
    parts.push(`<line x1="${LEFT}" x2="${WIDTH - 20}" y1="${y}" y2="${y}" stroke="#e0e0e0"/>`);
    parts.push(`<text x="${LEFT - 6}" y="${y + 4}" font-size="10" text-anchor="end">${label}</text>`);
  }
  groups.forEach((group, g) => {
    const gx = LEFT + g * groupW + 8;
    systems.forEach((system, s) => {
      const row = rows.find((r) => `${r.workload} ${r.shape}` === group && r.system === system);
      const v = row === undefined ? Number.NaN : pick(row);
      if (!Number.isFinite(v)) return;
      const h = scale(v) * PANEL;
      const x = gx + s * barW;
      parts.push(`<rect x="${x.toFixed(1)}" y="${(y0 + PANEL - h).toFixed(1)}" width="${(barW - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="${COLORS[system] ?? '#333'}"><title>${escape(`${system} ${group}: ${v.toFixed(2)}`)}</title></rect>`);
      if (barW >= 14) parts.push(`<text x="${(x + barW / 2).toFixed(1)}" y="${(y0 + PANEL - h - 3).toFixed(1)}" font-size="8" text-anchor="middle">${v < 10 ? v.toFixed(1) : Math.round(v)}</text>`);
    });
    parts.push(`<text x="${(gx + (groupW - 16) / 2).toFixed(1)}" y="${y0 + PANEL + 14}" font-size="10" text-anchor="middle">${escape(group)}</text>`);
  });
  return parts.join('\n');
}

export function chartSvg(rows: readonly TimedSummary[], subtitle: string): string {
  const systems = [...new Set(rows.map((r) => r.system))];
  const height = TOP + 2 * (PANEL + 60) + 30;
  const legend = systems
    .map((s, i) => `<rect x="${LEFT + i * 120}" y="${height - 22}" width="10" height="10" fill="${COLORS[s] ?? '#333'}"/><text x="${LEFT + i * 120 + 14}" y="${height - 13}" font-size="11">${escape(s)}</text>`)
    .join('\n');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${LEFT}" y="20" font-size="12" fill="#555">${escape(subtitle)}</text>`,
    panel(rows, (r) => r.serverMsPer1k, 'Server CPU ms per 1,000 deliveries (all server processes; lower is better)', TOP + 10),
    panel(rows, (r) => r.p99, 'p99 latency, ms, log scale (lower is better)', TOP + PANEL + 80, true),
    legend,
    '</svg>',
    '',
  ].join('\n');
}
