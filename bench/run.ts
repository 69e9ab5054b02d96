// `pnpm bench`: the same fan-out workload against our server (Redis, Kafka) and Socket.IO with its
// Redis adapters, two server processes each. See bench/README.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchConnection } from './clients/bench-connection.js';
import { killAllNow, startServer, waitReady, type ServerProcess } from './child-processes.js';
import { deleteKafkaPrefix, deleteRedisKeys } from './cleanup.js';
import { loadOptions, type BenchOptions, type SystemName } from './options.js';
import { jsonReport, medianOf, roundLine, summaryText, type SystemReport } from './report.js';
import { kafkaPrefix, SYSTEMS, type SystemSpec } from './systems.js';
import { runRound, type RoundClients, type RoundResult } from './workload.js';

const CONNECT_BATCH = 10;
const CLEANUP_TIMEOUT_MS = 20_000;

const say = (line: string): void => void process.stdout.write(`${line}\n`);
const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

async function connectAll(spec: SystemSpec, options: BenchOptions, a: ServerProcess, b: ServerProcess, opened: BenchConnection[]): Promise<RoundClients> {
  const track = async (url: string): Promise<BenchConnection> => {
    const connection = await spec.connect(url, options);
    opened.push(connection);
    return connection;
  };
  const publisher = await track(a.url);
  const local: BenchConnection[] = [];
  const remote: BenchConnection[] = [];
  for (let start = 0; start < options.subscribers; start += CONNECT_BATCH) {
    const batch: Promise<void>[] = [];
    for (let i = start; i < Math.min(options.subscribers, start + CONNECT_BATCH); i++) {
      const onA = i % 2 === 0;
      batch.push(track(onA ? a.url : b.url).then((c) => void (onA ? local : remote).push(c)));
    }
    await Promise.all(batch);
  }
  return { publisher, local, remote };
}

/** One system with its two servers up and its clients connected, collecting round results. */
interface Prepared {
  readonly name: SystemName;
  readonly spec: SystemSpec;
  readonly servers: ServerProcess[];
  readonly opened: BenchConnection[];
  clients?: RoundClients;
  warmup?: RoundResult;
  readonly rounds: RoundResult[];
  failure?: string;
}

async function prepare(name: SystemName, options: BenchOptions): Promise<Prepared> {
  const spec = SYSTEMS[name];
  const prepared: Prepared = { name, spec, servers: [], opened: [], rounds: [] };
  try {
    for (const instance of ['A', 'B'] as const) {
      const { args, env } = spec.server(options, instance);
      const server = await startServer(`${name}-${instance}`, args, { ...process.env, ...env }, options.startTimeoutMs);
      prepared.servers.push(server);
      await waitReady(server.url, options.startTimeoutMs);
    }
    const [a, b] = prepared.servers as [ServerProcess, ServerProcess];
    say(`- ${name}: ${spec.label}; A ${a.url} (pid ${a.pid}), B ${b.url} (pid ${b.pid})`);
    prepared.clients = await connectAll(spec, options, a, b, prepared.opened);
  } catch (error) {
    prepared.failure = message(error);
    say(`- ${name}: failed to start: ${prepared.failure}`);
  }
  return prepared;
}

async function teardown(prepared: Prepared): Promise<void> {
  for (const connection of prepared.opened) connection.close();
  await Promise.all(prepared.servers.map((s) => s.stop()));
}

/** Round `round` (0 = warm-up) of one system; a failure takes the system out of the later rounds. */
async function playRound(p: Prepared, round: number, options: BenchOptions): Promise<void> {
  if (p.failure !== undefined || p.clients === undefined) return;
  const label = round === 0 ? 'warm-up' : `round ${round}`;
  const channel = `bench:${options.runId}-${p.name}-${round === 0 ? 'w' : `r${round}`}`;
  try {
    const result = await runRound(p.clients, channel, options);
    say(roundLine(p.name, label, result));
    if (round === 0) p.warmup = result;
    else p.rounds.push(result);
  } catch (error) {
    p.failure = `${label}: ${message(error)}`;
    say(`  ${p.name} ${label} failed: ${p.failure}`);
  }
  await new Promise((r) => setTimeout(r, 500));
}

function toReport(p: Prepared): SystemReport {
  const base = { name: p.name, label: p.spec.label, rounds: p.rounds, ...(p.warmup ? { warmup: p.warmup } : {}) };
  const measured = p.rounds.length > 0 ? { median: medianOf(p.rounds) } : {};
  if (p.failure !== undefined) return { ...base, status: 'failed', reason: p.failure, ...measured };
  return { ...base, status: 'ran', ...measured };
}

/**
 * Starts every runnable system, then plays the rounds interleaved (warm-ups first, then round k of
 * each system, the order rotating every round) so that load from elsewhere on the machine spreads
 * over all systems instead of hitting whichever happened to run at that moment.
 */
async function runAll(options: BenchOptions): Promise<SystemReport[]> {
  const skipped: SystemReport[] = [];
  const prepared: Prepared[] = [];
  try {
    for (const name of options.systems as SystemName[]) {
      const reason = await SYSTEMS[name].precheck(options);
      if (reason === undefined) {
        prepared.push(await prepare(name, options));
        continue;
      }
      say(`- ${name}: skipped: ${reason}`);
      skipped.push({ name, label: SYSTEMS[name].label, status: 'skipped', reason, rounds: [] });
    }
    for (let round = 0; round <= options.rounds; round++) {
      for (let k = 0; k < prepared.length; k++) {
        await playRound(prepared[(k + round) % prepared.length] as Prepared, round, options);
      }
    }
  } finally {
    await Promise.all(prepared.map(teardown));
  }
  const reports = [...prepared.map(toReport), ...skipped];
  return options.systems.map((name) => reports.find((r) => r.name === name)).filter((r) => r !== undefined);
}

async function cleanup(options: BenchOptions, usedKafka: boolean): Promise<void> {
  try {
    const keys = await deleteRedisKeys(options.redisUrl, options.runId, CLEANUP_TIMEOUT_MS);
    say(`cleanup: deleted ${keys} Redis key(s) ${options.runId}*`);
  } catch (error) {
    say(`cleanup: Redis keys ${options.runId}* not deleted: ${message(error)}`);
  }
  if (!usedKafka) return;
  try {
    const { topics, groups } = await deleteKafkaPrefix(options.kafkaBrokers, kafkaPrefix(options), CLEANUP_TIMEOUT_MS);
    say(`cleanup: deleted Kafka topic(s) [${topics.join(', ')}] and ${groups.length} consumer group(s) ${kafkaPrefix(options)}*`);
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
    void cleanup(options, options.systems.includes('ours-kafka')).finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

async function main(): Promise<void> {
  const options = loadOptions(process.env);
  installExitHandlers(options);
  const startedAt = new Date();
  say(`bench run ${options.runId}: ${options.systems.join(', ')}`);
  say(`S=${options.subscribers} N=${options.messages} W=${options.window} rounds=${options.rounds} (+1 warm-up) redis=${options.redisUrl} kafka=${options.kafkaBrokers}`);
  const reports = await runAll(options);
  await cleanup(options, reports.some((r) => r.name === 'ours-kafka' && r.status !== 'skipped'));
  say('');
  say(summaryText(reports, options));
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(jsonReport(reports, options, startedAt), null, 2)}\n`);
  say(`\nresults: ${file}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench: ${message(error)}\n`);
    process.exit(1);
  },
);
