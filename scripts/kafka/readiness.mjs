// Pre-start port checks and waiting until every node has registered with the cluster.
import { HOST, clientListeners, clientPort, controllerPort, paths } from './config.mjs';
import { rel } from './artifacts.mjs';
import { canBind, fetchMetadata } from './kafka-protocol.mjs';
import { fail, log, tail } from './output.mjs';
import { exited, readPid } from './processes.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * A Kafka cluster not started from this checkout (e.g. another clone's `pnpm kafka:up`, or
 * docker compose) that already serves exactly the layout we would start: node i on
 * 127.0.0.1:9092+i-1. Returns a description of it, or null.
 */
export async function foreignCluster(nodes) {
  const meta = await fetchMetadata(HOST, clientPort(1), 2000).catch(() => null);
  if (!meta || meta.brokers.length !== nodes) return null;
  const expected = meta.brokers.every((b, k) => b.nodeId === k + 1 && b.host === HOST && b.port === clientPort(k + 1));
  return expected ? `cluster id ${meta.clusterId}, ${nodes} broker(s)` : null;
}

/** Fails with a clear message if a port a node needs is held by some other process. */
export async function checkPortsFree(nodes) {
  const busy = [];
  for (const i of nodes) {
    for (const [what, port] of [...clientListeners(i).map(([, , p, name]) => [name, p]), ['controller', controllerPort(i)]]) {
      if (!(await canBind(HOST, port))) busy.push(`${HOST}:${port} (node ${i} ${what} listener)`);
    }
  }
  if (busy.length) {
    fail(
      `port(s) already in use by another process (not a Kafka node started by this script):\n    ${busy.join('\n    ')}\n` +
        '  Free them (find the owner with `ss -ltnp`), e.g. stop another Kafka or docker compose stack.',
    );
  }
}

/** Polls every node with a Metadata request until each one sees all `nodes` brokers. */
export async function waitForCluster(nodes, timeoutSec) {
  const all = Array.from({ length: nodes }, (_, k) => k + 1);
  const deadline = Date.now() + timeoutSec * 1000;
  const ready = new Set();
  let lastError = '';
  let lastReport = Date.now();
  log(`waiting for ${nodes} broker(s) to register (timeout ${timeoutSec} s) ...`);
  while (ready.size < nodes) {
    for (const i of all) {
      if (ready.has(i)) continue;
      const pid = readPid(i);
      if (!pid || exited(pid)) {
        fail(`node ${i} exited during startup. Last lines of ${rel(paths.log(i))}:\n${tail(paths.log(i))}`);
      }
      try {
        const meta = await fetchMetadata(HOST, clientPort(i), 2000);
        if (meta.brokers.length === nodes) ready.add(i);
        else lastError = `node ${i} sees ${meta.brokers.length}/${nodes} brokers`;
      } catch (err) {
        lastError = `node ${i}: ${err.message}`;
      }
    }
    if (ready.size === nodes) break;
    if (Date.now() > deadline) {
      const pending = all.filter((i) => !ready.has(i));
      const logs = pending.map((i) => `  ${rel(paths.log(i))}:\n${tail(paths.log(i), 12)}`).join('\n');
      fail(`timed out after ${timeoutSec} s waiting for the cluster (${lastError}).\n${logs}`);
    }
    if (Date.now() - lastReport > 15000) {
      log(`  still waiting: ${lastError}`);
      lastReport = Date.now();
    }
    await sleep(500);
  }
}

/** Polls node i alone until it answers a Metadata request that lists itself (the others may be down). */
export async function waitForNode(i, timeoutSec) {
  const deadline = Date.now() + timeoutSec * 1000;
  let lastError = '';
  for (;;) {
    const pid = readPid(i);
    if (!pid || exited(pid)) fail(`node ${i} exited during startup. Last lines of ${rel(paths.log(i))}:\n${tail(paths.log(i))}`);
    try {
      const meta = await fetchMetadata(HOST, clientPort(i), 2000);
      if (meta.brokers.some((b) => b.nodeId === i)) return meta;
      lastError = `node ${i} does not list itself yet (sees ${meta.brokers.length} broker(s))`;
    } catch (err) {
      lastError = `node ${i}: ${err.message}`;
    }
    if (Date.now() > deadline) fail(`timed out after ${timeoutSec} s waiting for node ${i} (${lastError}).\n${tail(paths.log(i), 12)}`);
    await sleep(300);
  }
}
