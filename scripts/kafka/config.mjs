// Paths, ports, versions and broker configuration for the local KRaft cluster.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Newest Kafka that kafkajs 2.2.4 works with; see docs/kafka-local.md for the evidence. */
export const DEFAULT_KAFKA_VERSION = '4.4.0';
export const KAFKA_VERSION = process.env.KAFKA_VERSION?.trim() || DEFAULT_KAFKA_VERSION;
export const SCALA_VERSION = '2.13';
export const SLF4J_VERSION = '2.0.17';

/**
 * The console tools (org.apache.kafka:kafka-tools) run from their own jar set: Maven Central has no
 * kafka-tools 4.4.0, and 4.3 tools on the 4.4 broker jars fail (ClassNotFoundException). 4.3.1 is
 * the newest kafka-tools there; a 4.3 client talks to a 4.4 broker fine.
 */
export const DEFAULT_KAFKA_TOOLS_VERSION = '4.3.1';
export const KAFKA_TOOLS_VERSION = process.env.KAFKA_TOOLS_VERSION?.trim() || DEFAULT_KAFKA_TOOLS_VERSION;

export const HOST = '127.0.0.1';

/** Added to every port below, so a private cluster can run beside the default one (KAFKA_PORT_OFFSET). */
export const PORT_OFFSET = portOffset(process.env.KAFKA_PORT_OFFSET);
export const CLIENT_PORT_BASE = 9092 + PORT_OFFSET; // node i -> 9092 + i - 1
export const SASL_PORT_BASE = 9192 + PORT_OFFSET; // node i -> 9192 + i - 1: SASL_PLAINTEXT
export const SSL_PORT_BASE = 9292 + PORT_OFFSET; // node i -> 9292 + i - 1: SSL (TLS only)
export const SASL_SSL_PORT_BASE = 9392 + PORT_OFFSET; // node i -> 9392 + i - 1: SASL_SSL, PLAIN and SCRAM
export const OAUTH_PORT_BASE = 9492 + PORT_OFFSET; // node i -> 9492 + i - 1: SASL_SSL, OAUTHBEARER (unsecured JWS, tests only)
export const MTLS_PORT_BASE = 9592 + PORT_OFFSET; // node i -> 9592 + i - 1: SSL with a client certificate required
export const CONTROLLER_PORT_BASE = 19092 + PORT_OFFSET; // node i -> 19092 + i
export const MAX_NODES = 9;

/** Password of the broker's PKCS12 keystore: throwaway material, tests only. */
export const TLS_STORE_PASSWORD = 'app-tls-secret';
/** `sub` the brokers' own OAUTHBEARER login claims (they never log in through it: inter-broker is PLAINTEXT). */
const OAUTH_BROKER_SUB = 'broker';

function portOffset(raw) {
  const text = raw?.trim() || '0';
  const value = Number(text);
  // 19092 + offset + 9 must stay a valid port; negative offsets would collide with well-known ones.
  if (!/^\d+$/.test(text) || value > 40000) {
    process.stderr.write(`[kafka] ERROR: KAFKA_PORT_OFFSET must be an integer from 0 to 40000, got "${raw}"\n`);
    process.exit(1);
  }
  return value;
}

export const SASL_USER = 'app';
export const SASL_PASSWORD = 'app-secret';
export const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'];

export const HEAP = process.env.KAFKA_HEAP_OPTS?.trim() || '-Xms128m -Xmx512m';

const here = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(here, '..', '..');
/** The downloaded jars: always the checkout's .kafka, shared by every data dir (downloads are atomic). */
export const JAR_CACHE_DIR = join(REPO_ROOT, '.kafka');
/**
 * Config, data, logs, pid files and TLS material of one cluster: KAFKA_DATA_DIR, default the
 * checkout's .kafka. `down` and `status` only see the JVMs whose config lies in this dir.
 */
export const KAFKA_DIR = process.env.KAFKA_DATA_DIR?.trim() ? resolve(process.env.KAFKA_DATA_DIR.trim()) : JAR_CACHE_DIR;

export const paths = {
  root: KAFKA_DIR,
  lib: (version = KAFKA_VERSION) => join(JAR_CACHE_DIR, 'lib', version),
  libMarker: (version = KAFKA_VERSION) => join(JAR_CACHE_DIR, 'lib', version, '.complete'),
  mavenDir: (version = KAFKA_VERSION) => join(JAR_CACHE_DIR, 'maven', version),
  mavenLog: (version = KAFKA_VERSION) => join(JAR_CACHE_DIR, 'logs', `maven-${version}.log`),
  tools: (version = KAFKA_TOOLS_VERSION) => join(JAR_CACHE_DIR, 'tools', version),
  toolsMavenDir: (version = KAFKA_TOOLS_VERSION) => join(JAR_CACHE_DIR, 'maven', `tools-${version}`),
  toolsMavenLog: (version = KAFKA_TOOLS_VERSION) => join(JAR_CACHE_DIR, 'logs', `maven-tools-${version}.log`),
  tls: join(KAFKA_DIR, 'tls'),
  dataRoot: join(KAFKA_DIR, 'data'),
  data: (i) => join(KAFKA_DIR, 'data', `node-${i}`),
  config: (i) => join(KAFKA_DIR, 'config', `node-${i}.properties`),
  log: (i) => join(KAFKA_DIR, 'logs', `node-${i}.log`),
  pid: (i) => join(KAFKA_DIR, 'pids', `node-${i}.pid`),
  pidsDir: join(KAFKA_DIR, 'pids'),
  clusterId: join(KAFKA_DIR, 'cluster-id'),
  clusterState: join(KAFKA_DIR, 'data', 'cluster.json'),
};

export function ensureDir(dir) {
  mkdirSync(dir, { recursive: true });
  return dir;
}

export const clientPort = (i) => CLIENT_PORT_BASE + i - 1;
export const saslPort = (i) => SASL_PORT_BASE + i - 1;
export const sslPort = (i) => SSL_PORT_BASE + i - 1;
export const saslSslPort = (i) => SASL_SSL_PORT_BASE + i - 1;
export const oauthPort = (i) => OAUTH_PORT_BASE + i - 1;
export const mtlsPort = (i) => MTLS_PORT_BASE + i - 1;
export const controllerPort = (i) => CONTROLLER_PORT_BASE + i;

/** Every client-facing listener of node i: [listener name, security protocol, port, what it is]. */
export function clientListeners(i) {
  return [
    ['PLAINTEXT', 'PLAINTEXT', clientPort(i), 'client'],
    ['SASL', 'SASL_PLAINTEXT', saslPort(i), 'SASL'],
    ['SSL', 'SSL', sslPort(i), 'SSL'],
    ['SASL_SSL', 'SASL_SSL', saslSslPort(i), 'SASL_SSL'],
    ['OAUTH', 'SASL_SSL', oauthPort(i), 'OAUTHBEARER'],
    ['MTLS', 'SSL', mtlsPort(i), 'mutual TLS'],
  ];
}

export function majorVersion(version = KAFKA_VERSION) {
  return Number.parseInt(version.split('.')[0], 10);
}

/** A Kafka cluster id: 16 random bytes, base64url without padding, never starting with '-'. */
export function getOrCreateClusterId() {
  if (existsSync(paths.clusterId)) {
    const id = readFileSync(paths.clusterId, 'utf8').trim();
    if (/^[A-Za-z0-9_-]{22}$/.test(id)) return id;
  }
  let id;
  do id = randomBytes(16).toString('base64url');
  while (id.startsWith('-') || /^A{21}[AQgw]$/.test(id));
  ensureDir(KAFKA_DIR);
  writeFileSync(paths.clusterId, `${id}\n`);
  return id;
}

export function readClusterState() {
  try {
    return JSON.parse(readFileSync(paths.clusterState, 'utf8'));
  } catch {
    return null;
  }
}

export function writeClusterState(state) {
  ensureDir(dirname(paths.clusterState));
  writeFileSync(paths.clusterState, `${JSON.stringify(state, null, 2)}\n`);
}

function jaas(module, options = {}) {
  const opts = Object.entries(options).map(([k, v]) => ` ${k}="${v}"`).join('');
  return `${module} required${opts};`;
}

/** PLAIN (user app) and SCRAM (users stored at format time) on one SASL listener. */
function passwordMechanisms(listener) {
  return {
    [`listener.name.${listener}.sasl.enabled.mechanisms`]: SASL_MECHANISMS.join(','),
    [`listener.name.${listener}.plain.sasl.jaas.config`]: jaas('org.apache.kafka.common.security.plain.PlainLoginModule', {
      [`user_${SASL_USER}`]: SASL_PASSWORD,
    }),
    [`listener.name.${listener}.scram-sha-256.sasl.jaas.config`]: jaas('org.apache.kafka.common.security.scram.ScramLoginModule'),
    [`listener.name.${listener}.scram-sha-512.sasl.jaas.config`]: jaas('org.apache.kafka.common.security.scram.ScramLoginModule'),
  };
}

/** server.properties for node i of an n-node cluster (combined broker+controller roles). */
export function serverProperties(i, nodes, version = KAFKA_VERSION) {
  const rf = Math.min(3, nodes);
  const minIsr = Math.min(2, nodes);
  const voters = Array.from({ length: nodes }, (_, k) => `${k + 1}@${HOST}:${controllerPort(k + 1)}`);
  const autoCreate = /^(1|true|yes)$/i.test(process.env.KAFKA_AUTO_CREATE_TOPICS ?? '');
  const listeners = clientListeners(i);
  const props = {
    'process.roles': 'broker,controller',
    'node.id': i,
    'controller.quorum.voters': voters.join(','),
    'controller.listener.names': 'CONTROLLER',
    listeners: [...listeners.map(([name, , port]) => `${name}://${HOST}:${port}`), `CONTROLLER://${HOST}:${controllerPort(i)}`].join(','),
    'advertised.listeners': listeners.map(([name, , port]) => `${name}://${HOST}:${port}`).join(','),
    'listener.security.protocol.map': [...listeners.map(([name, protocol]) => `${name}:${protocol}`), 'CONTROLLER:PLAINTEXT'].join(','),
    'inter.broker.listener.name': 'PLAINTEXT',
    'sasl.enabled.mechanisms': SASL_MECHANISMS.join(','),
    ...passwordMechanisms('sasl'),
    ...passwordMechanisms('sasl_ssl'),
    // TLS for the SSL, SASL_SSL, OAUTH and MTLS listeners: the throwaway material from tls.mjs.
    'ssl.keystore.type': 'PKCS12',
    'ssl.keystore.location': join(paths.tls, 'broker.p12'),
    'ssl.keystore.password': TLS_STORE_PASSWORD,
    'ssl.key.password': TLS_STORE_PASSWORD,
    'ssl.truststore.type': 'PEM',
    'ssl.truststore.location': join(paths.tls, 'ca.pem'),
    'listener.name.mtls.ssl.client.auth': 'required',
    // OAUTHBEARER with Kafka's built-in unsecured JWS validator: any unsigned token with a sub and a
    // future exp is accepted. For tests only, never in production.
    'listener.name.oauth.sasl.enabled.mechanisms': 'OAUTHBEARER',
    'listener.name.oauth.oauthbearer.sasl.jaas.config': jaas('org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule', {
      unsecuredLoginStringClaim_sub: OAUTH_BROKER_SUB,
    }),
    'listener.name.oauth.oauthbearer.sasl.server.callback.handler.class':
      'org.apache.kafka.common.security.oauthbearer.internals.unsecured.OAuthBearerUnsecuredValidatorCallbackHandler',
    // Sessions end at the token's exp (at most an hour): clients must re-authenticate with a fresh one.
    'listener.name.oauth.oauthbearer.connections.max.reauth.ms': 3_600_000,
    'log.dirs': paths.data(i),
    'num.partitions': 1,
    'default.replication.factor': 1,
    'auto.create.topics.enable': autoCreate,
    'offsets.topic.replication.factor': rf,
    'offsets.topic.num.partitions': 10,
    'transaction.state.log.replication.factor': rf,
    'transaction.state.log.min.isr': minIsr,
    'transaction.state.log.num.partitions': 10,
    'group.initial.rebalance.delay.ms': 0,
    'num.network.threads': 2,
    'num.io.threads': 4,
    'num.recovery.threads.per.data.dir': 1,
    'log.retention.hours': 24,
    'log.segment.bytes': 64 * 1024 * 1024,
    'delete.topic.enable': true,
  };
  if (majorVersion(version) >= 4) {
    props['share.coordinator.state.topic.replication.factor'] = rf;
    props['share.coordinator.state.topic.min.isr'] = minIsr;
  }
  const body = Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n');
  return `# Generated by scripts/kafka/kafka.mjs on every "up"; edit the script, not this file.\n${body}\n`;
}

/** JVM options: small heap, slf4j-simple logging (stderr, redirected to the node's log file). */
export function jvmOptions() {
  return [
    ...HEAP.split(/\s+/).filter(Boolean),
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    '-Dorg.slf4j.simpleLogger.showDateTime=true',
    '-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd HH:mm:ss,SSS',
    '-Dorg.slf4j.simpleLogger.defaultLogLevel=info',
    '-Dorg.slf4j.simpleLogger.log.org.apache.kafka.clients=warn',
    '-Dorg.slf4j.simpleLogger.log.org.apache.kafka.common.utils.AppInfoParser=warn',
    '-Dorg.slf4j.simpleLogger.log.kafka.log.remote=warn',
  ];
}
