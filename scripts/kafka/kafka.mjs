#!/usr/bin/env node
// Local Apache Kafka (KRaft, no ZooKeeper) from Maven Central jars. No npm dependencies.
//
//   node scripts/kafka/kafka.mjs up [--nodes N] [--timeout SECONDS]
//   node scripts/kafka/kafka.mjs down [--wipe] [--timeout SECONDS]
//   node scripts/kafka/kafka.mjs status
//   node scripts/kafka/kafka.mjs stop-node <i> [--kill] [--timeout SECONDS]
//   node scripts/kafka/kafka.mjs start-node <i> [--timeout SECONDS]
//   node scripts/kafka/kafka.mjs console-producer|console-consumer|topics [tool args...]
//
// Env: KAFKA_VERSION, KAFKA_TOOLS_VERSION (defaults in config.mjs), KAFKA_HEAP_OPTS,
//      KAFKA_AUTO_CREATE_TOPICS, KAFKA_DATA_DIR, KAFKA_PORT_OFFSET, JAVA_HOME, MVN, OPENSSL.
// See docs/kafka-local.md.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brokerArtifacts, ensureArtifacts, rel } from './artifacts.mjs';
import * as cfg from './config.mjs';
import { fetchMetadata } from './kafka-protocol.mjs';
import { KafkaScriptError, fail, log } from './output.mjs';
import * as proc from './processes.mjs';
import { checkPortsFree, foreignCluster, waitForCluster, waitForNode } from './readiness.mjs';
import { ensureTlsMaterial, tlsFiles } from './tls.mjs';
import { TOOLS, runTool } from './tools.mjs';

const { HOST, KAFKA_VERSION, paths } = cfg;
const range = (n) => Array.from({ length: n }, (_, k) => k + 1);

function parseArgs(argv) {
  const [command = 'help', ...rest] = argv;
  const opts = { command, nodes: undefined, timeout: undefined, wipe: false, kill: false, node: undefined };
  for (let k = 0; k < rest.length; k++) {
    const [flag, inline] = rest[k].split('=', 2);
    const value = () => inline ?? rest[++k];
    if (flag === '--nodes' || flag === '-n') opts.nodes = Number(value());
    else if (flag === '--timeout' || flag === '-t') opts.timeout = Number(value());
    else if (flag === '--wipe') opts.wipe = true;
    else if (flag === '--kill') opts.kill = true;
    else if (/^\d+$/.test(flag) && opts.node === undefined) opts.node = Number(flag);
    else if (flag === '--') continue;
    else fail(`unknown option "${rest[k]}" (try: up --nodes 3 --timeout 90 | down --wipe | status)`);
  }
  if (opts.nodes !== undefined && !(Number.isInteger(opts.nodes) && opts.nodes >= 1 && opts.nodes <= cfg.MAX_NODES)) {
    fail(`--nodes must be an integer between 1 and ${cfg.MAX_NODES}`);
  }
  if (opts.timeout !== undefined && !(opts.timeout > 0)) fail('--timeout must be a positive number of seconds');
  return opts;
}

/** Live nodes started by this script: Map(node -> pid). Removes stale pid files. */
function liveNodes() {
  const live = new Map();
  for (const i of proc.trackedNodes()) {
    const pid = proc.readPid(i);
    if (proc.isOurKafka(pid, i)) live.set(i, pid);
    else proc.removePidFile(i);
  }
  return live;
}

async function stopAll(timeoutSec) {
  const live = liveNodes();
  const orphans = proc.findOrphanPids().filter((pid) => ![...live.values()].includes(pid));
  const pids = [...live.values(), ...orphans];
  if (pids.length === 0) return 0;
  log(`stopping ${pids.length} node(s) (pids ${pids.join(', ')}) ...`);
  const killed = await proc.stopPids(pids, timeoutSec * 1000);
  if (killed.length) log(`pid(s) ${killed.join(', ')} did not stop within ${timeoutSec} s: sent SIGKILL`);
  for (const i of live.keys()) proc.removePidFile(i);
  return pids.length;
}

function wipeData(reason) {
  if (!existsSync(paths.dataRoot)) return;
  log(`wiping ${rel(paths.dataRoot)} (${reason})`);
  rmSync(paths.dataRoot, { recursive: true, force: true });
}

async function up(opts) {
  const started = Date.now();
  const nodes = opts.nodes ?? 1;
  const timeoutSec = opts.timeout ?? 90;
  proc.checkJava();

  let live = liveNodes();
  let state = cfg.readClusterState();
  if (live.size > 0 && (state?.nodes !== nodes || state?.version !== KAFKA_VERSION)) {
    log(`a ${state?.nodes ?? '?'}-node Kafka ${state?.version ?? '?'} cluster is running; restarting as ${nodes} node(s) of Kafka ${KAFKA_VERSION}`);
    await stopAll(30);
    live = liveNodes();
  }
  if (live.size === nodes) {
    const meta = await fetchMetadata(HOST, cfg.clientPort(1)).catch(() => null);
    if (meta?.brokers.length === nodes) {
      log(`already running and healthy: ${nodes} node(s), Kafka ${KAFKA_VERSION}, pids ${[...live.values()].join(', ')}`);
      // Nodes keep the config they started with: one from before the TLS listeners has none.
      if (!readFileSync(paths.config(1), 'utf8').includes('OAUTH://')) {
        log('  these nodes were started without the TLS listeners (SSL, SASL_SSL, OAUTHBEARER): run `pnpm kafka:down && pnpm kafka:up` to get them');
      }
      printSummary(nodes);
      return;
    }
  }

  if (live.size === 0) {
    const foreign = await foreignCluster(nodes);
    if (foreign) {
      log(`a Kafka cluster not started from this checkout already serves ${HOST}:${cfg.clientPort(1)} (${foreign}); using it.`);
      log('  (its version, SASL users and settings may differ; stop it where it was started to run this checkout\'s own)');
      printSummary(nodes, false);
      return;
    }
  }
  const toStart = range(nodes).filter((i) => !live.has(i));
  await checkPortsFree(toStart);

  const lib = await ensureArtifacts(brokerArtifacts(KAFKA_VERSION));

  // Decide whether the on-disk data can be reused.
  const formatted = range(nodes).every((i) => existsSync(join(paths.data(i), 'meta.properties')));
  if (state && state.nodes !== nodes) wipeData(`node count changed from ${state.nodes} to ${nodes}; reformatting`);
  else if (state && state.version !== KAFKA_VERSION) wipeData(`Kafka version changed from ${state.version} to ${KAFKA_VERSION}; reformatting`);
  else if (!state && existsSync(paths.dataRoot)) wipeData('no cluster state recorded; reformatting');
  else if (state && !formatted && live.size === 0) wipeData('incomplete storage; reformatting');
  state = cfg.readClusterState();

  ensureTlsMaterial();
  cfg.ensureDir(join(paths.root, 'config'));
  for (const i of range(nodes)) writeFileSync(paths.config(i), cfg.serverProperties(i, nodes, KAFKA_VERSION));

  if (!state) {
    const clusterId = cfg.getOrCreateClusterId();
    log(`formatting storage for ${nodes} node(s), cluster id ${clusterId} ...`);
    for (const i of range(nodes)) proc.formatStorage(i, lib, clusterId);
    cfg.writeClusterState({ clusterId, nodes, version: KAFKA_VERSION, formattedAt: new Date().toISOString() });
  }

  for (const i of toStart) {
    const pid = proc.startNode(i, lib);
    log(`started node ${i} (pid ${pid}) on ${HOST}:${cfg.clientPort(i)}, log: ${rel(paths.log(i))}`);
  }
  try {
    await waitForCluster(nodes, timeoutSec);
  } catch (err) {
    if (err instanceof KafkaScriptError) {
      await stopAll(10);
      err.message += `\n  (stopped the nodes; logs kept under ${rel(join(paths.root, 'logs'))})`;
    }
    throw err;
  }
  log(`Kafka ${KAFKA_VERSION} is up: ${nodes} node(s) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  printSummary(nodes);
}

function printSummary(nodes, ours = true) {
  const plain = range(nodes).map((i) => `${HOST}:${cfg.clientPort(i)}`).join(',');
  const on = (port) => range(nodes).map((i) => `${HOST}:${port(i)}`).join(',');
  const credentials = `user "${cfg.SASL_USER}", password "${cfg.SASL_PASSWORD}"; ${cfg.SASL_MECHANISMS.join(', ')}`;
  log(`  KAFKA_BROKERS=${plain}`);
  log(`  SASL_PLAINTEXT: ${on(cfg.saslPort)} (${credentials})`);
  if (!ours) return; // a foreign cluster's TLS listeners, if any, are not ours to describe
  log(`  SSL: ${on(cfg.sslPort)}; mutual TLS (client certificate required): ${on(cfg.mtlsPort)}`);
  log(`  SASL_SSL: ${on(cfg.saslSslPort)} (${credentials})`);
  log(`  SASL_SSL OAUTHBEARER (unsecured JWS, tests only): ${on(cfg.oauthPort)}`);
  log(`  TLS files: CA ${rel(tlsFiles.caCert())}, client ${rel(tlsFiles.clientCert())} + ${rel(tlsFiles.clientKey())}, unknown CA ${rel(tlsFiles.otherCaCert())}`);
  const stop = paths.root === cfg.JAR_CACHE_DIR
    ? 'pnpm kafka:down'
    : `KAFKA_DATA_DIR=${paths.root} KAFKA_PORT_OFFSET=${cfg.PORT_OFFSET} node scripts/kafka/kafka.mjs down`;
  if (ours) log(`  logs: ${rel(join(paths.root, 'logs'))}/node-<i>.log; stop with: ${stop}`);
}

async function down(opts) {
  const count = await stopAll(opts.timeout ?? 20);
  log(count ? 'stopped' : 'no Kafka nodes were running');
  if (opts.wipe) {
    wipeData('--wipe');
    rmSync(join(paths.root, 'config'), { recursive: true, force: true });
  }
}

async function status() {
  const live = liveNodes();
  const state = cfg.readClusterState();
  const nodes = Math.max(state?.nodes ?? 0, ...live.keys(), 0);
  if (nodes === 0) {
    log('no Kafka cluster (run: pnpm kafka:up)');
    return;
  }
  log(`cluster: ${state?.nodes ?? '?'} node(s), Kafka ${state?.version ?? '?'}, id ${state?.clusterId ?? '?'}`);
  for (const i of range(nodes)) {
    const pid = live.get(i);
    let health = '';
    if (pid) {
      const meta = await fetchMetadata(HOST, cfg.clientPort(i)).catch((e) => e);
      health = meta instanceof Error ? ` not answering (${meta.message})` : `, sees ${meta.brokers.length} broker(s)`;
    }
    log(`  node ${i}: ${pid ? `running (pid ${pid}) on ${HOST}:${cfg.clientPort(i)}${health}` : 'stopped'}`);
  }
  const orphans = proc.findOrphanPids().filter((p) => ![...live.values()].includes(p));
  if (orphans.length) log(`  untracked Kafka JVM(s) from this checkout: pids ${orphans.join(', ')} (pnpm kafka:down stops them)`);
}

/** The node number of start-node/stop-node: one of the formatted cluster's nodes. */
function nodeArg(opts) {
  const state = cfg.readClusterState();
  if (!state) fail('no cluster formatted yet (run: pnpm kafka:up --nodes 3)');
  if (!(opts.node >= 1 && opts.node <= state.nodes)) fail(`${opts.command} needs a node number from 1 to ${state.nodes}`);
  return { i: opts.node, nodes: state.nodes };
}

/** Stops one node (SIGTERM: controlled shutdown; --kill: SIGKILL, as a crash), leaving the others running. */
async function stopNode(opts) {
  const { i } = nodeArg(opts);
  const pid = liveNodes().get(i);
  if (!pid) {
    log(`node ${i} is not running`);
    return;
  }
  log(`stopping node ${i} (pid ${pid}) with ${opts.kill ? 'SIGKILL' : 'SIGTERM'} ...`);
  if (opts.kill) process.kill(pid, 'SIGKILL');
  const killed = await proc.stopPids([pid], opts.kill ? 0 : (opts.timeout ?? 20) * 1000);
  if (killed.length && !opts.kill) log(`node ${i} did not stop within ${opts.timeout ?? 20} s: sent SIGKILL`);
  proc.removePidFile(i);
  log(`node ${i} stopped`);
}

/** Starts one stopped node of the formatted cluster again (same config and data) and waits until it serves. */
async function startNode(opts) {
  const { i, nodes } = nodeArg(opts);
  const pid = liveNodes().get(i);
  if (pid) {
    log(`node ${i} is already running (pid ${pid})`);
    return;
  }
  proc.checkJava();
  await checkPortsFree([i]);
  const lib = await ensureArtifacts(brokerArtifacts(KAFKA_VERSION));
  // The config `up` wrote is kept (same settings as the running nodes); written only if missing.
  ensureTlsMaterial();
  if (!existsSync(paths.config(i))) writeFileSync(paths.config(i), cfg.serverProperties(i, nodes, KAFKA_VERSION));
  const started = Date.now();
  log(`started node ${i} (pid ${proc.startNode(i, lib)}) on ${HOST}:${cfg.clientPort(i)}, log: ${rel(paths.log(i))}`);
  await waitForNode(i, opts.timeout ?? 90);
  log(`node ${i} is serving again after ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

async function main() {
  const [command, ...toolArgs] = process.argv.slice(2);
  // The tools' arguments are theirs, not ours: no parsing here.
  if (Object.hasOwn(TOOLS, command ?? '')) {
    process.exitCode = await runTool(command, toolArgs);
    return;
  }
  const opts = parseArgs(process.argv.slice(2));
  if (opts.command === 'up') await up(opts);
  else if (opts.command === 'down') await down(opts);
  else if (opts.command === 'status') await status();
  else if (opts.command === 'stop-node') await stopNode(opts);
  else if (opts.command === 'start-node') await startNode(opts);
  else {
    process.stdout.write(
      'usage: kafka.mjs up [--nodes N] [--timeout S] | down [--wipe] | status\n' +
        '       kafka.mjs stop-node <i> [--kill] | start-node <i> [--timeout S]\n' +
        `       kafka.mjs ${Object.keys(TOOLS).join('|')} [tool args...]  (e.g. console-consumer --help)\n`,
    );
    process.exitCode = opts.command === 'help' || opts.command === '--help' ? 0 : 2;
  }
}

main().catch((err) => {
  process.stderr.write(`[kafka] ERROR: ${err instanceof KafkaScriptError ? err.message : err.stack}\n`);
  process.exit(1);
});
