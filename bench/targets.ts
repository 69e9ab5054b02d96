// The targets of issue 7, checked against this run's figures and printed as met / not met.
import type { ConnectionsSummary } from './workloads/connections.js';
import type { TimedSummary } from './workloads/timed-result.js';

export interface Target {
  readonly what: string;
  /** The measured value (a ratio or ms), NaN when a figure is missing. */
  readonly value: number;
  readonly limit: number;
  readonly unit: 'x' | 'ms';
  /** Undefined when the run lacks a figure (workload or system not run). */
  readonly met: boolean | undefined;
  readonly detail: string;
}

export interface Info {
  readonly what: string;
  readonly value: number;
}

type Find = (workload: string, system: string, shape?: string) => TimedSummary | undefined;

function target(what: string, value: number, limit: number, unit: Target['unit'], detail: string): Target {
  return { what, value, limit, unit, met: Number.isFinite(value) ? value <= limit : undefined, detail };
}

const ratio = (a: number | undefined, b: number | undefined): number => (a === undefined || b === undefined || !(b > 0) ? Number.NaN : a / b);

/** Cost at the most rooms over cost at the fewest, for one system. */
function growth(timed: readonly TimedSummary[], system: string): { value: number; detail: string } {
  const rows = timed.filter((t) => t.workload === 'rooms-scale' && t.system === system);
  const rooms = (t: TimedSummary): number => Number(t.shape.split('x')[0]);
  rows.sort((a, b) => rooms(a) - rooms(b));
  const first = rows[0];
  const last = rows[rows.length - 1];
  if (first === undefined || last === undefined || rows.length < 2) return { value: Number.NaN, detail: 'rooms-scale not run' };
  return { value: ratio(last.serverMsPer1k, first.serverMsPer1k), detail: `${last.shape} ${last.serverMsPer1k.toFixed(2)} vs ${first.shape} ${first.serverMsPer1k.toFixed(2)} ms/1k` };
}

export function evaluateTargets(timed: readonly TimedSummary[], connections: readonly ConnectionsSummary[]): { targets: Target[]; info: Info[] } {
  const find: Find = (workload, system) => timed.find((t) => t.workload === workload && t.system === system);
  const server = (w: string, s: string): number | undefined => find(w, s)?.serverMsPer1k;
  const cpuDetail = (w: string, a: string, b: string): string => `${a} ${server(w, a)?.toFixed(2) ?? '-'} vs ${b} ${server(w, b)?.toFixed(2) ?? '-'} ms/1k`;
  const perConn = (s: string): number | undefined => connections.find((c) => c.system === s)?.rss?.perConnectionBytes;
  const redisGrowth = growth(timed, 'ours-redis');
  const kafkaGrowth = growth(timed, 'ours-kafka');
  const targets = [
    target('rooms, Redis: server CPU per delivery vs sio-redis', ratio(server('rooms', 'ours-redis'), server('rooms', 'sio-redis')), 0.5, 'x', cpuDetail('rooms', 'ours-redis', 'sio-redis')),
    target(
      'rooms, Redis: redis-server CPU per delivery vs ws-redis relay',
      ratio(find('rooms', 'ours-redis')?.busMsPer1k, find('rooms', 'ws-redis')?.busMsPer1k),
      1.5,
      'x',
      `${find('rooms', 'ours-redis')?.busMsPer1k.toFixed(2) ?? '-'} vs ${find('rooms', 'ws-redis')?.busMsPer1k.toFixed(2) ?? '-'} ms/1k`,
    ),
    target('rooms, Redis: p99', find('rooms', 'ours-redis')?.p99 ?? Number.NaN, 25, 'ms', 'ours-redis'),
    target('rooms, Kafka: server CPU per delivery vs sio-redis', ratio(server('rooms', 'ours-kafka'), server('rooms', 'sio-redis')), 0.6, 'x', cpuDetail('rooms', 'ours-kafka', 'sio-redis')),
    target('rooms, Kafka: p99', find('rooms', 'ours-kafka')?.p99 ?? Number.NaN, 50, 'ms', 'ours-kafka'),
    target('rooms-scale, Redis: server CPU per delivery growth, most vs fewest rooms', redisGrowth.value, 1.2, 'x', redisGrowth.detail),
    target('rooms-scale, Kafka: server CPU per delivery growth, most vs fewest rooms', kafkaGrowth.value, 1.2, 'x', kafkaGrowth.detail),
    target('rooms, memory: server CPU per delivery vs ws-single', ratio(server('rooms', 'ours-memory'), server('rooms', 'ws-single')), 1.2, 'x', cpuDetail('rooms', 'ours-memory', 'ws-single')),
    target('fanout-rate, memory: server CPU per delivery vs ws-single', ratio(server('fanout-rate', 'ours-memory'), server('fanout-rate', 'ws-single')), 1.2, 'x', cpuDetail('fanout-rate', 'ours-memory', 'ws-single')),
    target(
      'connections, memory: RSS per idle connection vs bare ws',
      ratio(perConn('ours-memory'), perConn('ws-single')),
      1.3,
      'x',
      `${((perConn('ours-memory') ?? Number.NaN) / 1024).toFixed(1)} vs ${((perConn('ws-single') ?? Number.NaN) / 1024).toFixed(1)} KiB`,
    ),
  ];
  const info: Info[] = [
    { what: 'rooms, Kafka: server CPU per delivery vs kafka-loop process', value: ratio(server('rooms', 'ours-kafka'), server('rooms', 'kafka-loop')) },
    { what: 'rooms, Kafka: broker CPU per delivery vs kafka-loop', value: ratio(find('rooms', 'ours-kafka')?.busMsPer1k, find('rooms', 'kafka-loop')?.busMsPer1k) },
    { what: 'rooms, Kafka: p99 vs kafka-loop', value: ratio(find('rooms', 'ours-kafka')?.p99, find('rooms', 'kafka-loop')?.p99) },
    { what: 'rooms, Redis: p99 vs sio-redis', value: ratio(find('rooms', 'ours-redis')?.p99, find('rooms', 'sio-redis')?.p99) },
    { what: 'rooms-scale, sio-redis: growth most vs fewest rooms', value: growth(timed, 'sio-redis').value },
    { what: 'rooms-scale, ws-redis: growth most vs fewest rooms', value: growth(timed, 'ws-redis').value },
  ];
  return { targets, info };
}

export function targetsText({ targets, info }: { targets: readonly Target[]; info: readonly Info[] }): string {
  const fmt = (v: number, unit: Target['unit']): string => (Number.isFinite(v) ? (unit === 'x' ? `${v.toFixed(2)}x` : `${v.toFixed(1)} ms`) : '-');
  const lines = ['| target | measured | limit | result | detail |', '|---|---:|---:|---|---|'];
  for (const t of targets) {
    const result = t.met === undefined ? 'n/a (not measured)' : t.met ? 'met' : '**not met**';
    lines.push(`| ${t.what} | ${fmt(t.value, t.unit)} | ≤ ${fmt(t.limit, t.unit)} | ${result} | ${t.detail} |`);
  }
  lines.push('', 'For reference (no target):');
  for (const i of info) lines.push(`- ${i.what}: ${fmt(i.value, 'x')}`);
  return lines.join('\n');
}
