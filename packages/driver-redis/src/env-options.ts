import { BusError, envBool, envInt, envString, type DriverSetting, type Env } from '@app/core';
import type { RedisBusOptions } from './options.js';
import { DEFAULTS, RANGES, urlProblem } from './resolve-options.js';

/** The environment variables `BUS=redis` reads, for documentation and start-up messages. */
export const REDIS_SETTINGS: readonly DriverSetting[] = [
  { env: 'REDIS_URL', default: DEFAULTS.url, description: 'Redis to use; rediss:// for TLS, credentials in the URL.' },
  { env: 'REDIS_KEY_PREFIX', default: DEFAULTS.keyPrefix, description: 'Put before every key the bus writes.' },
  { env: 'REDIS_STREAM_MAXLEN', default: String(DEFAULTS.streamMaxLen), description: 'Approximate entries kept per channel stream; 0 keeps all.' },
  { env: 'REDIS_PING_INTERVAL_MS', default: String(DEFAULTS.pingIntervalMs), description: 'How often the pub/sub connection is checked with PING, in ms.' },
  { env: 'REDIS_CLAIM_IDLE_MS', default: String(DEFAULTS.claimIdleMs), description: 'Group mode: idle time before a pending message is taken over, in ms.' },
  { env: 'REDIS_MAX_PAYLOAD_BYTES', default: String(DEFAULTS.maxPayloadBytes), description: 'Largest accepted message in bytes.' },
  { env: 'REDIS_PERSISTENT', default: String(DEFAULTS.persistent), description: 'Declare the persistent feature (set only when Redis runs with appendonly yes).' },
  { env: 'REDIS_CLIENT_NAME', default: DEFAULTS.clientName, description: 'Prefix of connection and group consumer names.' },
];

/** Maps `REDIS_*` variables to options; a bad value is a `config` error naming the variable. */
export function optionsFromEnv(env: Env): RedisBusOptions {
  const url = envString(env, 'REDIS_URL', DEFAULTS.url);
  const problem = urlProblem(url);
  // The URL may hold a password: name the variable, not the value.
  if (problem !== undefined) throw new BusError('config', `REDIS_URL is not valid: ${problem.replace(url, '<REDIS_URL>')}`);
  const keyPrefix = envString(env, 'REDIS_KEY_PREFIX', DEFAULTS.keyPrefix);
  if (/[\s{}]/.test(keyPrefix) || keyPrefix.length > 100) {
    throw new BusError('config', `REDIS_KEY_PREFIX=${JSON.stringify(keyPrefix)} is not valid: expected at most 100 characters without braces or whitespace`);
  }
  const clientName = envString(env, 'REDIS_CLIENT_NAME', DEFAULTS.clientName);
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(clientName)) {
    throw new BusError('config', `REDIS_CLIENT_NAME=${JSON.stringify(clientName)} is not valid: expected 1 to 64 letters, digits, "_", ".", "-" or ":"`);
  }
  return {
    url,
    keyPrefix,
    clientName,
    streamMaxLen: envInt(env, 'REDIS_STREAM_MAXLEN', DEFAULTS.streamMaxLen, RANGES.streamMaxLen),
    pingIntervalMs: envInt(env, 'REDIS_PING_INTERVAL_MS', DEFAULTS.pingIntervalMs, RANGES.pingIntervalMs),
    claimIdleMs: envInt(env, 'REDIS_CLAIM_IDLE_MS', DEFAULTS.claimIdleMs, RANGES.claimIdleMs),
    maxPayloadBytes: envInt(env, 'REDIS_MAX_PAYLOAD_BYTES', DEFAULTS.maxPayloadBytes, RANGES.maxPayloadBytes),
    persistent: envBool(env, 'REDIS_PERSISTENT', DEFAULTS.persistent),
  };
}
