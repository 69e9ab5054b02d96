import { DEFAULT_MAX_PAYLOAD_BYTES } from '@app/core';
import { defineSettings, setting } from '@app/core/driver';

/** Problem with a Redis URL, or undefined when it can work. Never repeats the URL: it may hold a password. */
function urlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'expected a URL: redis://host:port or rediss://host:port';
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    return `protocol "${parsed.protocol}" is not supported (use redis:// or rediss:// for TLS)`;
  }
  return parsed.hostname === '' ? 'the URL has no host' : undefined;
}

/** Ten years: past it a TTL is surely a typo (e.g. milliseconds given for seconds). */
const MAX_STREAM_TTL_SECONDS = 10 * 365 * 86_400;

const matches = (pattern: RegExp, expected: string) => (value: string) => (pattern.test(value) ? undefined : `expected ${expected}`);

/**
 * Every setting of the Redis driver: the factory options of {@link RedisBusOptions} (but
 * `logger`) and the `REDIS_*` variables `BUS=redis` reads. The option docs live on
 * `RedisBusOptions`; the lines here are for `--help`.
 */
export const REDIS_SETTINGS = defineSettings({
  url: setting.string({ env: 'REDIS_URL', default: 'redis://127.0.0.1:6379', description: 'Redis to use; rediss:// for TLS, credentials in the URL.', check: urlProblem }),
  // Braces would break the hash tag that keeps a namespace's streams on one cluster slot.
  keyPrefix: setting.string({
    env: 'REDIS_KEY_PREFIX', default: 'bus:', description: 'Put before every key the bus writes.',
    check: matches(/^[^\s{}]{0,100}$/, 'at most 100 characters without braces or whitespace'),
  }),
  streamMaxLen: setting.integer({ env: 'REDIS_STREAM_MAXLEN', default: 10_000, min: 0, max: 1_000_000_000, description: 'Approximate entries kept per channel stream; 0 keeps all.' }),
  // Whole seconds, not a duration (ms): EXPIRE takes seconds, and 10 years in ms would read badly in --help.
  streamTtlSeconds: setting.integer({
    env: 'REDIS_STREAM_TTL_S', default: 86_400, min: 0, max: MAX_STREAM_TTL_SECONDS,
    description: "Seconds a channel's stream is kept after its last stored publish; 0 keeps it for ever.",
  }),
  pingIntervalMs: setting.duration({ env: 'REDIS_PING_INTERVAL_MS', default: 5000, min: 100, max: 600_000, description: 'How often the pub/sub connection is checked with PING, in ms.' }),
  claimIdleMs: setting.duration({ env: 'REDIS_CLAIM_IDLE_MS', default: 30_000, min: 10, max: 86_400_000, description: 'Group mode: idle time before a pending message is taken over, in ms.' }),
  maxPayloadBytes: setting.integer({ env: 'REDIS_MAX_PAYLOAD_BYTES', default: DEFAULT_MAX_PAYLOAD_BYTES, min: 1024, max: 512 * 1024 * 1024, description: 'Largest accepted message in bytes.' }),
  persistent: setting.boolean({ env: 'REDIS_PERSISTENT', default: false, description: 'Declare the persistent feature (set only when Redis runs with appendonly yes).' }),
  clientName: setting.string({
    env: 'REDIS_CLIENT_NAME', default: 'bus', description: 'Prefix of connection and group consumer names.',
    check: matches(/^[A-Za-z0-9_.:-]{1,64}$/, '1 to 64 letters, digits, "_", ".", "-" or ":"'),
  }),
  retryDelayMs: setting.duration({ default: 100, min: 0, max: 600_000, description: 'Group mode: pause before a failed message is delivered again.' }),
  readBatchSize: setting.integer({ default: 500, min: 1, max: 100_000, description: 'Entries per XRANGE when a subscription reads its stream.' }),
  maxPendingPerSubscription: setting.integer({ default: 10_000, min: 1, max: 10_000_000, description: 'Messages queued for one handler.' }),
  connectTimeoutMs: setting.duration({ default: 10_000, min: 1, max: 3_600_000, description: 'Longest wait for the first connection.' }),
  commandTimeoutMs: setting.duration({ default: 10_000, min: 1, max: 3_600_000, description: 'Longest wait for one Redis command.' }),
  closeTimeoutMs: setting.duration({ default: 5000, min: 0, max: 3_600_000, description: 'How long close() lets deliveries and publishes finish.' }),
});
