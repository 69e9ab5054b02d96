import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { BusError, envChoice, envInt, envString, type Env } from '@app/core';
import { parseAllowedOrigins } from './limits/origin-policy.js';
import { loadPresenceHeartbeatMs, PRESENCE_TTL_DEFAULT_MS, PRESENCE_TTL_RANGE } from './presence/presence-settings.js';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Everything the server reads from the environment, validated. Driver settings are not here: the driver reads its own. */
export interface ServerConfig {
  readonly port: number;
  readonly host: string;
  /** A built-in driver name (`memory`, `kafka`, `redis`) or a driver package name. */
  readonly bus: string;
  readonly instanceId: string;
  readonly maxFrameBytes: number;
  readonly sendBufferLimitBytes: number;
  /** How long message frames for one socket may wait to leave together in one write; 0: until the end of the tick. */
  readonly sendCoalesceMs: number;
  readonly heartbeatIntervalMs: number;
  readonly maxSubscriptionsPerConnection: number;
  /** Frames of one connection queued or in flight before the server stops reading its socket. */
  readonly maxPendingFramesPerConnection: number;
  /** Publishes per second one connection earns (`rate_limited` past it); 0: no limit. */
  readonly publishRatePerConnection: number;
  /** Publishes one connection may send at once after being quiet; also how many refusals it may ignore before the 4029 close. */
  readonly publishBurstPerConnection: number;
  /** Origins (normalized, as `new URL(x).origin`) a browser handshake may come from; `undefined`: any origin. */
  readonly allowedOrigins: readonly string[] | undefined;
  /** Most sockets on `/ws` per instance, handshakes in progress included; past it a handshake gets 503. */
  readonly maxConnections: number;
  /** A remote instance not heard from for this long is taken for dead: its users leave. */
  readonly presenceTtlMs: number;
  /** How often each instance says it is alive (one `alive` on the liveness channel, however many channels it has members on); less than `presenceTtlMs`. */
  readonly presenceHeartbeatMs: number;
  /** Most members one `presence` answer lists; past it the answer says `truncated`. */
  readonly presenceMaxMembers: number;
  /** How long a query on a channel this instance did not follow yet waits for the other instances' member lists. */
  readonly presenceSyncMs: number;
  /** WebSocket URLs of the other instances the demo page fails over to (`DEMO_URLS`); empty: its own server only. */
  readonly demoUrls: readonly string[];
  readonly shutdownTimeoutMs: number;
  readonly logLevel: LogLevel;
}

/** One documented setting, for `--help` and the README table. */
export interface ConfigSetting {
  readonly env: string;
  readonly default: string;
  readonly description: string;
}

const MIB = 1024 * 1024;

export const CONFIG_SETTINGS: readonly ConfigSetting[] = [
  { env: 'PORT', default: '8080', description: 'TCP port for HTTP and WebSocket (0 picks a free port).' },
  { env: 'HOST', default: '0.0.0.0', description: 'Interface to listen on; all IPv4 interfaces by default so it works in containers.' },
  { env: 'BUS', default: 'memory', description: 'Bus driver: memory, kafka, redis, or the name of a driver package.' },
  { env: 'INSTANCE_ID', default: '<hostname>-<random>', description: 'Name of this instance, shown to clients and in logs.' },
  { env: 'MAX_FRAME_BYTES', default: '65536', description: 'Largest client frame accepted; bigger ones close the connection with 1009.' },
  { env: 'SEND_BUFFER_LIMIT_BYTES', default: '1048576', description: 'Per-connection outgoing buffer; a client that falls further behind is closed with 4008.' },
  { env: 'SEND_COALESCE_MS', default: '0', description: 'Longest wait for message frames to one socket to leave together in one write (0: frames of one tick only).' },
  { env: 'HEARTBEAT_INTERVAL_MS', default: '30000', description: 'Ping interval; a connection with no pong since the previous ping is terminated.' },
  { env: 'MAX_SUBSCRIPTIONS_PER_CONNECTION', default: '100', description: 'Channels one connection may subscribe to.' },
  { env: 'MAX_PENDING_FRAMES_PER_CONNECTION', default: '256', description: 'Client frames queued or publishing before the server pauses reading that socket.' },
  { env: 'PUBLISH_RATE_PER_CONNECTION', default: '100', description: 'Publishes per second one connection earns; past it the publish is answered rate_limited. 0: no limit.' },
  { env: 'PUBLISH_BURST_PER_CONNECTION', default: '200', description: 'Publishes one connection may send at once; a client that ignores this many rate_limited answers more is closed with 4029.' },
  { env: 'ALLOWED_ORIGINS', default: '<any>', description: 'Comma-separated origins (scheme://host[:port]) browsers may connect from; others get 403. Clients sending no Origin are judged by their token alone.' },
  { env: 'MAX_CONNECTIONS', default: '100000', description: 'Most WebSocket connections per instance, handshakes in progress included; past it a handshake gets 503 with Retry-After.' },
  { env: 'PRESENCE_TTL_MS', default: '15000', description: 'Presence: an instance not heard from for this long is taken for dead and its users leave (within TTL plus at most 1 s).' },
  { env: 'PRESENCE_HEARTBEAT_MS', default: '5000', description: 'Presence: how often each instance says it is alive (one bus message per instance, however many channels); must be less than PRESENCE_TTL_MS.' },
  { env: 'PRESENCE_MAX_MEMBERS', default: '1000', description: 'Presence: most members one presence answer lists; past it the answer is cut and says truncated.' },
  { env: 'PRESENCE_SYNC_MS', default: '300', description: 'Presence: how long a query on a channel this instance did not follow yet waits for the other instances\' member lists.' },
  { env: 'DEMO_URLS', default: '', description: 'Comma-separated WebSocket URLs (ws://host:port/ws) of every instance the demo page may fail over to; unset: its own server only.' },
  { env: 'SHUTDOWN_TIMEOUT_MS', default: '10000', description: 'Longest graceful shutdown before the process exits anyway.' },
  { env: 'LOG_LEVEL', default: 'info', description: `Log level: ${LOG_LEVELS.join(', ')}.` },
];

function parseDemoUrls(value: string | undefined): string[] {
  const entries = (value ?? '').split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  for (const entry of entries) {
    let url: URL | undefined;
    try {
      url = new URL(entry);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== 'ws:' && url.protocol !== 'wss:')) {
      throw new BusError('config', `DEMO_URLS: "${entry.slice(0, 80)}" is not a ws:// or wss:// URL (expected e.g. ws://localhost:8082/ws)`);
    }
  }
  return entries;
}

/** Reads and validates the configuration; throws a `BusError` with reason `config` naming the bad variable. */
export function loadConfig(env: Env): ServerConfig {
  return {
    port: envInt(env, 'PORT', 8080, { min: 0, max: 65535 }),
    host: envString(env, 'HOST', '0.0.0.0'),
    bus: envString(env, 'BUS', 'memory'),
    instanceId: envString(env, 'INSTANCE_ID', `${hostname()}-${randomBytes(3).toString('hex')}`),
    maxFrameBytes: envInt(env, 'MAX_FRAME_BYTES', 65536, { min: 1024, max: 64 * MIB }),
    sendBufferLimitBytes: envInt(env, 'SEND_BUFFER_LIMIT_BYTES', MIB, { min: 1024, max: 1024 * MIB }),
    sendCoalesceMs: envInt(env, 'SEND_COALESCE_MS', 0, { min: 0, max: 1000 }),
    heartbeatIntervalMs: envInt(env, 'HEARTBEAT_INTERVAL_MS', 30_000, { min: 10, max: 3_600_000 }),
    maxSubscriptionsPerConnection: envInt(env, 'MAX_SUBSCRIPTIONS_PER_CONNECTION', 100, { min: 1, max: 100_000 }),
    maxPendingFramesPerConnection: envInt(env, 'MAX_PENDING_FRAMES_PER_CONNECTION', 256, { min: 1, max: 1_000_000 }),
    publishRatePerConnection: envInt(env, 'PUBLISH_RATE_PER_CONNECTION', 100, { min: 0, max: 1_000_000 }),
    publishBurstPerConnection: envInt(env, 'PUBLISH_BURST_PER_CONNECTION', 200, { min: 1, max: 10_000_000 }),
    allowedOrigins: parseAllowedOrigins(env),
    maxConnections: envInt(env, 'MAX_CONNECTIONS', 100_000, { min: 1, max: 10_000_000 }),
    presenceTtlMs: envInt(env, 'PRESENCE_TTL_MS', PRESENCE_TTL_DEFAULT_MS, PRESENCE_TTL_RANGE),
    presenceHeartbeatMs: loadPresenceHeartbeatMs(env),
    presenceMaxMembers: envInt(env, 'PRESENCE_MAX_MEMBERS', 1000, { min: 1, max: 1_000_000 }),
    presenceSyncMs: envInt(env, 'PRESENCE_SYNC_MS', 300, { min: 0, max: 60_000 }),
    shutdownTimeoutMs: envInt(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, { min: 100, max: 600_000 }),
    demoUrls: parseDemoUrls(env['DEMO_URLS']),
    logLevel: envChoice(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
  };
}
