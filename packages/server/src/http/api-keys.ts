import { createHash, timingSafeEqual } from 'node:crypto';
import { BusError, envBool, envList, envString, type Env } from '@app/core';

/** Shortest API key, in characters: a guessable key would open publishing to every channel. */
export const MIN_API_KEY_LENGTH = 16;

/** The HTTP API's settings, in the shape of the server's `ConfigSetting`, for `--help`. */
export const API_SETTINGS: readonly { env: string; default: string; description: string }[] = [
  {
    env: 'API_KEYS',
    default: '',
    description: `Comma-separated bearer keys (each at least ${MIN_API_KEY_LENGTH} characters) for POST /api/publish; several at once let a key be rotated; unset: the HTTP API is off (404).`,
  },
  { env: 'API_KEY', default: '', description: 'A single API key, the same as API_KEYS with one entry; setting both is an error.' },
  { env: 'METRICS_REQUIRE_API_KEY', default: 'false', description: 'true: /metrics also needs one of the API keys as a bearer token (needs API_KEYS).' },
];

/** Visible ASCII only: a key must fit in an `Authorization` header as it is. */
const KEY_PATTERN = /^[\x21-\x7e]+$/;

/** What an `Authorization` header amounts to. */
export type KeyCheck = 'ok' | 'missing' | 'invalid';

/**
 * The configured API keys, kept as SHA-256 digests. A presented key is hashed and compared with
 * every digest in constant time, so neither the time taken nor an early exit tells how much of a
 * key, or which key, matched; hashing first also makes the lengths equal.
 */
export class ApiKeys {
  private readonly digests: readonly Buffer[];

  constructor(keys: readonly string[]) {
    this.digests = keys.map(digest);
  }

  get count(): number {
    return this.digests.length;
  }

  /** Checks an `Authorization: Bearer <key>` header value. */
  check(authorization: string | undefined): KeyCheck {
    const match = /^Bearer +(\S+) *$/i.exec(authorization ?? '');
    const presented = match?.[1];
    if (presented === undefined) return 'missing';
    const candidate = digest(presented);
    let found = false;
    for (const known of this.digests) found = timingSafeEqual(known, candidate) || found;
    return found ? 'ok' : 'invalid';
  }
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** The HTTP API's settings, validated. */
export interface ApiSettings {
  /** `undefined`: no key is configured, the HTTP API is off. */
  readonly keys: ApiKeys | undefined;
  /** `/metrics` needs a key too; only ever true with keys. */
  readonly metricsRequireKey: boolean;
}

/** The settings of a server without the HTTP API, as embedders get by default. */
export const API_OFF: ApiSettings = { keys: undefined, metricsRequireKey: false };

function configError(message: string): BusError {
  return new BusError('config', message);
}

/** The keys of one variable, each checked; messages say which entry is wrong, never what it holds. */
function keysOf(env: Env, variable: 'API_KEYS' | 'API_KEY'): string[] {
  const keys = variable === 'API_KEYS' ? envList(env, variable, []) : [envString(env, variable) ?? ''];
  if (keys.length === 0) throw configError(`${variable} is set but holds no key`);
  keys.forEach((key, index) => {
    const which = keys.length === 1 ? `the key in ${variable}` : `key ${index + 1} of ${keys.length} in ${variable}`;
    if (key.length < MIN_API_KEY_LENGTH) {
      throw configError(`${which} is too short: ${key.length} characters, expected at least ${MIN_API_KEY_LENGTH} (e.g. openssl rand -hex 32)`);
    }
    if (!KEY_PATTERN.test(key)) {
      throw configError(`${which} holds a space or a character outside visible ASCII, which cannot be sent in an Authorization header`);
    }
  });
  return keys;
}

/**
 * Reads `API_KEYS` (or its single-key alias `API_KEY`) and `METRICS_REQUIRE_API_KEY`. Throws a
 * `BusError` with reason `config` naming the variable: both key variables set, a key under
 * {@link MIN_API_KEY_LENGTH} characters or with a character a header cannot carry, and
 * `METRICS_REQUIRE_API_KEY=true` without keys (it would leave /metrics open or locked for good).
 * No message ever includes a key.
 */
export function loadApiSettings(env: Env): ApiSettings {
  const list = envString(env, 'API_KEYS') !== undefined;
  const single = envString(env, 'API_KEY') !== undefined;
  if (list && single) {
    throw configError('API_KEYS and API_KEY are both set: use API_KEYS alone (comma-separated) to give several keys');
  }
  const keys = list ? keysOf(env, 'API_KEYS') : single ? keysOf(env, 'API_KEY') : undefined;
  const metricsRequireKey = envBool(env, 'METRICS_REQUIRE_API_KEY', false);
  if (metricsRequireKey && keys === undefined) {
    throw configError('METRICS_REQUIRE_API_KEY is true but no API key is set: set API_KEYS (or API_KEY), or METRICS_REQUIRE_API_KEY=false');
  }
  return { keys: keys === undefined ? undefined : new ApiKeys([...new Set(keys)]), metricsRequireKey };
}
