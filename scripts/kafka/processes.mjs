// Starting, tracking and stopping the broker JVMs (one detached process per node).
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { SASL_PASSWORD, SASL_USER, ensureDir, jvmOptions, paths } from './config.mjs';
import { fail } from './output.mjs';

export function javaCommand() {
  const home = process.env.JAVA_HOME?.trim();
  return home ? join(home, 'bin', 'java') : 'java';
}

/** Fails unless a Java 17+ runtime is available. */
export function checkJava() {
  const res = spawnSync(javaCommand(), ['-version'], { encoding: 'utf8' });
  if (res.error || res.status !== 0) {
    fail(`Java not found ("${javaCommand()}"): install a JDK 17+ (e.g. \`apt-get install -y openjdk-17-jre-headless\`) or set JAVA_HOME.`);
  }
  const m = /version "(\d+)(?:\.(\d+))?/.exec(res.stderr);
  const major = m ? (m[1] === '1' ? Number(m[2]) : Number(m[1])) : 0;
  if (major < 17) fail(`Java 17+ is required, found: ${res.stderr.split('\n')[0]}`);
}

function classpath(lib) {
  return join(lib, '*');
}

export function readPid(i) {
  try {
    const pid = Number.parseInt(readFileSync(paths.pid(i), 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** True if pid is alive and is one of our Kafka JVMs (guards against pid reuse). */
export function isOurKafka(pid, i) {
  if (!pid || exited(pid)) return false;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('kafka.Kafka') && cmdline.includes(paths.config(i));
  } catch {
    return true; // no /proc (macOS): trust the signal check
  }
}

/** Node numbers that have a pid file, sorted. */
export function trackedNodes() {
  if (!existsSync(paths.pidsDir)) return [];
  return readdirSync(paths.pidsDir)
    .map((f) => /^node-(\d+)\.pid$/.exec(f)?.[1])
    .filter(Boolean)
    .map(Number)
    .sort((a, b) => a - b);
}

/** Pids of live JVMs running one of this checkout's node configs, found via /proc (pid files may be lost). */
export function findOrphanPids() {
  if (!existsSync('/proc')) return [];
  const marker = join(paths.root, 'config', 'node-');
  const found = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes('kafka.Kafka') && cmdline.includes(marker) && !exited(Number(entry))) found.push(Number(entry));
    } catch {
      /* process went away */
    }
  }
  return found;
}

/** Runs kafka-storage format for node i (synchronously), appending its output to the node log. */
export function formatStorage(i, lib, clusterId) {
  ensureDir(paths.data(i));
  ensureDir(join(paths.root, 'logs')); // a fresh KAFKA_DATA_DIR has none yet (the jar cache's logs live elsewhere)
  const args = [
    '-Xmx256m',
    '-cp',
    classpath(lib),
    'kafka.tools.StorageTool',
    'format',
    '--cluster-id',
    clusterId,
    '--config',
    paths.config(i),
    '--add-scram',
    `SCRAM-SHA-256=[name=${SASL_USER},password=${SASL_PASSWORD}]`,
    '--add-scram',
    `SCRAM-SHA-512=[name=${SASL_USER},password=${SASL_PASSWORD}]`,
  ];
  const res = spawnSync(javaCommand(), args, { encoding: 'utf8' });
  const fd = openSync(paths.log(i), 'a');
  writeSync(fd, `\n===== ${new Date().toISOString()} kafka-storage format (cluster ${clusterId}) =====\n`);
  writeSync(fd, `${res.stdout ?? ''}${res.stderr ?? ''}`);
  closeSync(fd);
  if (res.error || res.status !== 0) {
    fail(`formatting storage for node ${i} failed (exit ${res.status}):\n${(res.stderr || res.stdout || res.error?.message || '').trim()}`);
  }
}

/** Starts node i as a detached JVM whose stdout/stderr go to its log file; records the pid. */
export function startNode(i, lib) {
  ensureDir(join(paths.root, 'logs'));
  ensureDir(paths.pidsDir);
  const fd = openSync(paths.log(i), 'a');
  writeSync(fd, `\n===== ${new Date().toISOString()} starting node ${i} =====\n`);
  const args = [...jvmOptions(), `-Dkafka.logs.dir=${join(paths.root, 'logs')}`, '-cp', classpath(lib), 'kafka.Kafka', paths.config(i)];
  const child = spawn(javaCommand(), args, { detached: true, stdio: ['ignore', fd, fd], cwd: paths.root });
  closeSync(fd);
  child.unref();
  writeFileSync(paths.pid(i), `${child.pid}\n`);
  return child.pid;
}

export function exited(pid) {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return err.code !== 'EPERM';
  }
  try {
    // A zombie (dead, not yet reaped by its parent) still answers signal 0.
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** SIGTERM all pids, wait up to graceMs, then SIGKILL the rest. Returns pids that needed SIGKILL. */
export async function stopPids(pids, graceMs = 20000) {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && pids.some((p) => !exited(p))) await sleep(200);
  const killed = pids.filter((p) => !exited(p));
  for (const pid of killed) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  const killDeadline = Date.now() + 10000;
  while (Date.now() < killDeadline && pids.some((p) => !exited(p))) await sleep(100);
  return killed;
}

export function removePidFile(i) {
  rmSync(paths.pid(i), { force: true });
}
