import type { BenchOptions } from '../options.js';
import { median } from '../stats.js';
import type { RoundResult } from './fanout-round.js';

export interface SystemReport {
  readonly name: string;
  readonly label: string;
  readonly status: 'ran' | 'skipped' | 'failed';
  readonly reason?: string;
  readonly warmup?: RoundResult;
  readonly rounds: readonly RoundResult[];
  readonly median?: MedianResult;
}

/** Median over the measured rounds of each metric; loss and errors are totals over them. */
export interface MedianResult {
  readonly throughput: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly localP50: number;
  readonly completeRounds: number;
  readonly rounds: number;
  readonly lost: number;
  readonly reordered: number;
  readonly duplicates: number;
  readonly publishErrors: number;
}

export interface Ratio {
  readonly system: string;
  readonly baseline: string;
  readonly throughput: number;
  readonly p50: number;
  readonly p99: number;
}

export const BASELINE = 'sio-redis';

export function medianOf(rounds: readonly RoundResult[]): MedianResult {
  const sum = (pick: (r: RoundResult) => number): number => rounds.reduce((total, r) => total + pick(r), 0);
  return {
    throughput: median(rounds.map((r) => r.throughput)),
    p50: median(rounds.map((r) => r.remote.p50)),
    p95: median(rounds.map((r) => r.remote.p95)),
    p99: median(rounds.map((r) => r.remote.p99)),
    localP50: median(rounds.map((r) => r.local.p50)),
    completeRounds: rounds.filter((r) => r.complete).length,
    rounds: rounds.length,
    lost: sum((r) => r.lost),
    reordered: sum((r) => r.reordered),
    duplicates: sum((r) => r.duplicates),
    publishErrors: sum((r) => r.publishErrors),
  };
}

export function ratios(reports: readonly SystemReport[]): Ratio[] {
  const base = reports.find((r) => r.name === BASELINE)?.median;
  if (base === undefined) return [];
  return reports
    .filter((r) => r.name !== BASELINE && r.median !== undefined)
    .map((r) => {
      const m = r.median as MedianResult;
      return { system: r.name, baseline: BASELINE, throughput: m.throughput / base.throughput, p50: m.p50 / base.p50, p99: m.p99 / base.p99 };
    });
}

const ms = (v: number): string => (Number.isFinite(v) ? v.toFixed(1) : '-');
const x = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(2)}x` : '-');

/** One line per measured round, printed as the run goes. */
export function roundLine(system: string, label: string, r: RoundResult): string {
  const loss = r.complete ? 'complete' : `INCOMPLETE (${r.ended}): lost ${r.lost}`;
  const extra = [
    r.reordered > 0 ? `reordered ${r.reordered}` : '',
    r.duplicates > 0 ? `duplicates ${r.duplicates}` : '',
    r.publishErrors > 0 ? `publish errors ${r.publishErrors} (${r.firstPublishError ?? ''})` : '',
  ].filter((s) => s !== '');
  return `  ${system} ${label}: ${Math.round(r.throughput)} deliveries/s, remote p50/p95/p99 ${ms(r.remote.p50)}/${ms(r.remote.p95)}/${ms(r.remote.p99)} ms, ${(r.durationMs / 1000).toFixed(2)} s, ${loss}${extra.length > 0 ? `, ${extra.join(', ')}` : ''}`;
}

/** The summary table (Markdown, so it can be pasted into bench/README.md) and the ratio lines. */
export function summaryText(reports: readonly SystemReport[], options: BenchOptions): string {
  const lines = [
    `S=${options.subscribers} subscribers (half on each instance), N=${options.messages} messages, window W=${options.window}, payload pad ${options.payloadBytes} B, median of ${options.rounds} interleaved rounds after 1 warm-up`,
    '',
    '| system | deliveries/s | p50 ms | p95 ms | p99 ms | local p50 ms | complete rounds | lost | reordered | dup | publish errors |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of reports) {
    const m = r.median;
    if (r.status !== 'ran' || m === undefined) {
      lines.push(`| ${r.name} | ${r.status}: ${(r.reason ?? '').split('\n')[0] ?? ''} | | | | | | | | | |`);
      continue;
    }
    lines.push(
      `| ${r.name} | ${Math.round(m.throughput)} | ${ms(m.p50)} | ${ms(m.p95)} | ${ms(m.p99)} | ${ms(m.localP50)} | ${m.completeRounds}/${m.rounds} | ${m.lost} | ${m.reordered} | ${m.duplicates} | ${m.publishErrors} |`,
    );
  }
  const rs = ratios(reports);
  if (rs.length > 0) lines.push('', `Ratios relative to ${BASELINE} (throughput: higher is better; latency: lower is better):`);
  for (const r of rs) {
    lines.push(`- ${r.system}/${r.baseline}: ${x(r.throughput)} throughput, ${x(r.p50)} p50 latency, ${x(r.p99)} p99 latency`);
  }
  return lines.join('\n');
}
