import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, openSync, closeSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitForKafka } from './wait-for-kafka.js';

const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../..');
const LIB_ROOT = join(REPO_ROOT, '.kafka', 'lib');

/** A single-node KRaft broker of its own (own ports, own data dir) that a test may stop and start. */
export interface DedicatedBroker {
  readonly address: string;
  /** Stops the JVM (SIGTERM, then SIGKILL after 20 s) and waits until it is gone. */
  stop(): Promise<void>;
  /** Starts it again on the same data and port, and waits until it answers. */
  start(): Promise<void>;
  /** Stops it and deletes its data. */
  destroy(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

/** The Kafka jars scripts/kafka downloaded: the newest version there. */
function kafkaLib(): string {
  const versions = existsSync(LIB_ROOT) ? readdirSync(LIB_ROOT).filter((version) => existsSync(join(LIB_ROOT, version, '.complete'))) : [];
  const preferred = versions.sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).pop();
  if (preferred === undefined) {
    throw new Error(`the broker-restart test runs its own Kafka from the jars of scripts/kafka, and there are none under ${LIB_ROOT}: run "pnpm kafka:up" once (needs Java 17+)`);
  }
  return join(LIB_ROOT, preferred);
}

/**
 * Starts a broker that no other test shares, so stopping it harms nobody. It uses the jars of
 * scripts/kafka (which has fixed ports and one data dir, hence this separate launcher).
 */
export async function startDedicatedBroker(): Promise<DedicatedBroker> {
  const lib = kafkaLib();
  const java = process.env['JAVA_HOME'] ? join(process.env['JAVA_HOME'], 'bin', 'java') : 'java';
  const port = await freePort();
  const controllerPort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'driver-kafka-restart-'));
  const config = join(dir, 'server.properties');
  const logFile = join(dir, 'broker.log');
  writeFileSync(
    config,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
      'controller.listener.names=CONTROLLER',
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      'inter.broker.listener.name=PLAINTEXT',
      `log.dirs=${join(dir, 'data')}`,
      'auto.create.topics.enable=false',
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=2',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      'num.network.threads=2',
      'num.io.threads=2',
    ].join('\n'),
  );
  const classpath = `${lib}/*`;
  const clusterId = randomBytes(16).toString('base64url').replace(/^-/, 'A');
  const format = spawnSync(java, ['-Xmx256m', '-cp', classpath, 'kafka.tools.StorageTool', 'format', '--cluster-id', clusterId, '--config', config], {
    encoding: 'utf8',
  });
  if (format.status !== 0) throw new Error(`formatting the dedicated broker's storage failed: ${format.stderr || format.stdout || String(format.error)}`);
  let child: ChildProcess | undefined;
  const address = `127.0.0.1:${port}`;

  const start = async (): Promise<void> => {
    const fd = openSync(logFile, 'a');
    child = spawn(java, ['-Xms128m', '-Xmx384m', '-XX:+UseG1GC', '-cp', classpath, 'kafka.Kafka', config], { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    await waitForKafka(address, 120_000).catch((error: unknown) => {
      throw new Error(`the dedicated broker did not come up (log: ${logFile}): ${String(error)}`);
    });
  };
  const stop = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null) return;
    const exited = new Promise<void>((resolveExit) => running.once('exit', () => resolveExit()));
    running.kill('SIGTERM');
    const timer = setTimeout(() => running.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  };
  await start();
  return {
    address,
    stop,
    start,
    async destroy() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
