// `pnpm bench [--workload fanout,rooms,...|all]`: the workloads of bench/README.md against our
// server (Redis, Kafka, memory) and its peers, in one run; tables, targets, JSON and an SVG chart.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { chartSvg } from './chart.js';
import { killAllNow } from './child-processes.js';
import { deleteKafkaPrefix, deleteRedisKeys } from './cleanup.js';
import { clockTicks } from './cpu.js';
import { describeMachine } from './machine.js';
import { ALL_WORKLOADS, loadOptions, systemsFor, type BenchOptions, type WorkloadName } from './options.js';
import { kafkaPrefix } from './systems.js';
import { evaluateTargets, targetsText } from './targets.js';
import { connectionsTable, runConnections, type ConnectionsSummary } from './workloads/connections.js';
import { runFanout, type FanoutOutcome } from './workloads/fanout.js';
import { fanoutRateWorkload, roomsScaleWorkload, roomsWorkload, type TimedWorkload } from './workloads/room-workloads.js';
import { timedTable } from './workloads/timed-result.js';
import { runTimed, type TimedOutcome } from './workloads/timed-runner.js';

const CLEANUP_TIMEOUT_MS = 20_000;
const REPO_ROOT = join(import.meta.dirname, '..');
const say = (line: string): void => void process.stdout.write(`${line}\n`);
const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

async function cleanup(options: BenchOptions): Promise<void> {
  try {
    const keys = await deleteRedisKeys(options.redisUrl, options.runId, CLEANUP_TIMEOUT_MS);
    say(`cleanup: deleted ${keys} Redis key(s) ${options.runId}*`);
  } catch (error) {
    say(`cleanup: Redis keys ${options.runId}* not deleted: ${message(error)}`);
  }
  try {
    const { topics, groups } = await deleteKafkaPrefix(options.kafkaBrokers, kafkaPrefix(options), CLEANUP_TIMEOUT_MS);
    if (topics.length + groups.length > 0) say(`cleanup: deleted Kafka topic(s) [${topics.join(', ')}] and ${groups.length} consumer group(s) ${kafkaPrefix(options)}*`);
  } catch (error) {
    say(`cleanup: Kafka topics ${kafkaPrefix(options)}* not deleted: ${message(error)}`);
  }
}

function installExitHandlers(options: BenchOptions): void {
  process.on('exit', killAllNow);
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) {
      killAllNow();
      process.exit(130);
    }
    interrupted = true;
    say(`\n${signal}: stopping servers and cleaning up (again to force)`);
    killAllNow();
    const force = setTimeout(() => process.exit(130), CLEANUP_TIMEOUT_MS + 5000);
    force.unref();
    void cleanup(options).finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

function timedDefinition(name: WorkloadName, options: BenchOptions): TimedWorkload | undefined {
  if (name === 'rooms') return roomsWorkload(options);
  if (name === 'rooms-scale') return roomsScaleWorkload(options);
  if (name === 'fanout-rate') return fanoutRateWorkload(options);
  return undefined;
}

async function main(): Promise<void> {
  const options = loadOptions(process.env, process.argv.slice(2));
  installExitHandlers(options);
  const startedAt = new Date();
  const machine = await describeMachine(options.redisUrl, REPO_ROOT, clockTicks());
  say(`bench run ${options.runId}: workloads ${options.workloads.join(', ')}; redis=${options.redisUrl} kafka=${options.kafkaBrokers}`);
  say(`machine: ${machine.nproc} x ${machine.cpuModel}, Node ${machine.node}, Redis ${machine.redis}, Kafka ${machine.kafka}, open files ${machine.openFilesLimit}`);
  const timed: TimedOutcome[] = [];
  const tables: Record<string, string> = {};
  const seconds: Record<string, number> = {};
  let fanout: FanoutOutcome | undefined;
  let connections: ConnectionsSummary[] = [];
  for (const name of options.workloads) {
    const t0 = performance.now();
    say(`\n== workload ${name} ==`);
    try {
      const definition = timedDefinition(name, options);
      if (definition !== undefined) {
        for (const n of definition.notApplicable) say(`- ${n.system}: not in ${name}: ${n.reason}`);
        const shapes = definition.shapes.map((s) => `${s.tag} for ${s.durationMs / 1000} s`).join(', ');
        say(`${shapes}, ${definition.rounds} interleaved round(s) after a warm-up`);
        const outcome = await runTimed(name, systemsFor(options, definition.systems), definition.shapes, definition.rounds, options, Math.min(3000, definition.shapes[0]?.durationMs ?? 0));
        timed.push(outcome);
        tables[name] = timedTable(outcome.summaries, outcome.skipped);
      } else if (name === 'fanout') {
        fanout = await runFanout(options);
        tables[name] = fanout.table;
      } else {
        connections = await runConnections(options);
        tables[name] = connectionsTable(connections, options);
      }
    } catch (error) {
      say(`workload ${name} failed: ${message(error)}`);
      tables[name] = `failed: ${message(error)}`;
    }
    seconds[name] = (performance.now() - t0) / 1000;
    say(`\n${tables[name] ?? ''}\n(${name}: ${seconds[name]?.toFixed(0)} s)`);
  }
  await cleanup(options);
  const summaries = timed.flatMap((t) => t.summaries);
  const targets = evaluateTargets(summaries, connections);
  // The same text goes to <stamp>.md, ready to paste into docs/benchmarks.md.
  const markdown = [
    `Run ${startedAt.toISOString()} (${options.runId}): ${machine.nproc} x ${machine.cpuModel}, Node ${machine.node}, Redis ${machine.redis}, Kafka ${machine.kafka}`,
    ...Object.entries(tables).map(([name, table]) => `\n### ${name} (${seconds[name]?.toFixed(0)} s)\n\n${table}`),
    `\n### targets\n\n${targetsText(targets)}`,
  ].join('\n');
  say(`\n== results ==\n\n${markdown}`);

  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const file = join(dir, `${stamp}.json`);
  const report = { startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), machine, options, seconds, fanout: fanout?.reports, timed, connections, targets };
  // Latency samples are summarized already; the raw arrays would make the file huge.
  writeFileSync(file, `${JSON.stringify(report, (_, v: unknown) => (v instanceof Float64Array ? undefined : v), 2)}\n`);
  const svg = chartSvg(summaries, `${startedAt.toISOString().slice(0, 16)} · ${machine.nproc} x ${machine.cpuModel} · Node ${machine.node} · Redis ${machine.redis} · Kafka ${machine.kafka}`);
  writeFileSync(join(dir, `${stamp}.svg`), svg);
  writeFileSync(join(dir, `${stamp}.md`), `${markdown}\n`);
  // docs/benchmarks.svg is committed: only a full run (every workload) replaces it, or BENCH_SVG=path.
  const docsSvg = process.env['BENCH_SVG'] ?? (ALL_WORKLOADS.every((w) => options.workloads.includes(w)) ? join(REPO_ROOT, 'docs', 'benchmarks.svg') : undefined);
  if (docsSvg !== undefined && summaries.length > 0) writeFileSync(docsSvg, svg);
  say(`\nresults: ${file} (+ .md, .svg${docsSvg === undefined ? '' : `, ${docsSvg}`}); total ${Object.values(seconds).reduce((a, b) => a + b, 0).toFixed(0)} s`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench: ${message(error)}\n`);
    process.exit(1);
  },
);
