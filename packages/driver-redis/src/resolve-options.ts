import { BusError, DEFAULT_MAX_PAYLOAD_BYTES, silentLogger } from '@app/core';
import type { RedisBusOptions, ResolvedRedisBusOptions } from './options.js';

/** The defaults documented on {@link RedisBusOptions}, in one place for the factory and `driver`. */
export const DEFAULTS = {
  url: 'redis://127.0.0.1:6379',
  keyPrefix: 'bus:',
  streamMaxLen: 10_000,
  pingIntervalMs: 5000,
  claimIdleMs: 30_000,
  retryDelayMs: 100,
  readBatchSize: 500,
  maxPendingPerSubscription: 10_000,
  maxPayloadBytes: DEFAULT_MAX_PAYLOAD_BYTES,
  connectTimeoutMs: 10_000,
  commandTimeoutMs: 10_000,
  closeTimeoutMs: 5000,
  clientName: 'bus',
  persistent: false,
} as const;

type NumericOption = {
  [K in keyof ResolvedRedisBusOptions]: ResolvedRedisBusOptions[K] extends number ? K : never;
}[keyof ResolvedRedisBusOptions];

/** Allowed range of every numeric option. */
export const RANGES: Readonly<Record<NumericOption, { min: number; max: number }>> = {
  streamMaxLen: { min: 0, max: 1_000_000_000 },
  pingIntervalMs: { min: 100, max: 600_000 },
  claimIdleMs: { min: 10, max: 86_400_000 },
  retryDelayMs: { min: 0, max: 600_000 },
  readBatchSize: { min: 1, max: 100_000 },
  maxPendingPerSubscription: { min: 1, max: 10_000_000 },
  maxPayloadBytes: { min: 1024, max: 512 * 1024 * 1024 },
  connectTimeoutMs: { min: 1, max: 3_600_000 },
  commandTimeoutMs: { min: 1, max: 3_600_000 },
  closeTimeoutMs: { min: 0, max: 3_600_000 },
};

const KEY_PREFIX = /^[^\s{}]{0,100}$/;
const CLIENT_NAME = /^[A-Za-z0-9_.:-]{1,64}$/;

/** Problem with a Redis URL, or undefined when it can work. */
export function urlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `"${url}" is not a URL (expected redis://host:port or rediss://host:port)`;
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    return `protocol "${parsed.protocol}" is not supported (use redis:// or rediss:// for TLS)`;
  }
  if (parsed.hostname === '') return 'the URL has no host';
  return undefined;
}

/** Applies defaults and checks every option; a bad one is a `BusError` with reason `invalid_options`. */
export function resolveOptions(options: RedisBusOptions): ResolvedRedisBusOptions {
  const bad = (message: string): BusError => new BusError('invalid_options', `createRedisBus: ${message}`);
  const number = (name: NumericOption): number => {
    const value = options[name] ?? DEFAULTS[name];
    const { min, max } = RANGES[name];
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw bad(`${name} must be a whole number from ${min} to ${max}, got ${String(value)}`);
    }
    return value;
  };
  const url = options.url ?? DEFAULTS.url;
  const problem = urlProblem(url);
  if (problem !== undefined) throw bad(`url: ${problem}`);
  const keyPrefix = options.keyPrefix ?? DEFAULTS.keyPrefix;
  // Braces would break the hash tag that keeps a namespace's streams on one cluster slot.
  if (!KEY_PREFIX.test(keyPrefix)) throw bad('keyPrefix must be at most 100 characters without braces or whitespace');
  const clientName = options.clientName ?? DEFAULTS.clientName;
  if (!CLIENT_NAME.test(clientName)) throw bad('clientName must be 1 to 64 letters, digits, "_", ".", "-" or ":"');
  return {
    url,
    keyPrefix,
    clientName,
    streamMaxLen: number('streamMaxLen'),
    pingIntervalMs: number('pingIntervalMs'),
    claimIdleMs: number('claimIdleMs'),
    retryDelayMs: number('retryDelayMs'),
    readBatchSize: number('readBatchSize'),
    maxPendingPerSubscription: number('maxPendingPerSubscription'),
    maxPayloadBytes: number('maxPayloadBytes'),
    connectTimeoutMs: number('connectTimeoutMs'),
    commandTimeoutMs: number('commandTimeoutMs'),
    closeTimeoutMs: number('closeTimeoutMs'),
    persistent: options.persistent ?? DEFAULTS.persistent,
    logger: options.logger ?? silentLogger,
  };
}
