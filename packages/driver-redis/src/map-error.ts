import { BusError, describeError, isBusError, type BusErrorReason } from '@app/core';

/** What the bus knows besides the error itself. */
export interface MapContext {
  /** The bus is closing or closed: a failed command is a consequence of that. */
  readonly closed?: boolean;
}

/** Message patterns of ioredis and Redis errors, first match wins. */
const RULES: readonly { readonly pattern: RegExp; readonly reason: BusErrorReason; readonly retryable: boolean; readonly hint?: string }[] = [
  { pattern: /^(NOAUTH|WRONGPASS|NOPERM)|invalid password|invalid username/i, reason: 'unauthorized', retryable: false, hint: 'check the credentials in REDIS_URL' },
  { pattern: /^(MOVED|ASK|CROSSSLOT|CLUSTERDOWN)\b/, reason: 'config', retryable: false, hint: 'Redis Cluster is not supported; use a standalone Redis or a primary' },
  { pattern: /Invalid stream ID|smaller than the target stream top item/i, reason: 'invalid_position', retryable: false },
  { pattern: /Command timed out/i, reason: 'timeout', retryable: true },
  {
    pattern:
      /Stream isn't writeable|Connection is closed|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN|max retries per request|Reached the max retries|^LOADING|^READONLY|^MASTERDOWN|socket (hang up|closed)/i,
    reason: 'not_connected',
    retryable: true,
    hint: 'is Redis up and REDIS_URL right?',
  },
  { pattern: /^(OOM|BUSY)\b/, reason: 'broker', retryable: true },
];

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return describeError(error);
}

/**
 * The one place ioredis and Redis errors become `BusError`s. `doing` says what was attempted,
 * e.g. `publish to "game:42"`; the original error stays as `cause`. A `BusError` passes through.
 */
export function mapRedisError(error: unknown, doing: string, context: MapContext = {}): BusError {
  if (isBusError(error)) return error;
  const text = messageOf(error);
  if (context.closed === true) return new BusError('closed', `${doing} failed: the redis bus is closed (${text})`, { cause: error });
  const rule = RULES.find((candidate) => candidate.pattern.test(text));
  if (rule === undefined) return new BusError('broker', `${doing} failed: ${text}`, { cause: error, retryable: false });
  const hint = rule.hint === undefined ? '' : ` (${rule.hint})`;
  return new BusError(rule.reason, `${doing} failed: ${text}${hint}`, { cause: error, retryable: rule.retryable });
}

/** True for Redis's reply when a consumer group (or its stream) does not exist, e.g. after a restart without persistence. */
export function isNoGroupError(error: unknown): boolean {
  return /^NOGROUP\b/.test(messageOf(error));
}

/** True for Redis's reply to `XGROUP CREATE` when the group exists already. */
export function isBusyGroupError(error: unknown): boolean {
  return /^BUSYGROUP\b/.test(messageOf(error));
}

/** True when Redis says a key does not exist (e.g. `XINFO STREAM` of a missing stream). */
export function isNoSuchKeyError(error: unknown): boolean {
  return /no such key/i.test(messageOf(error));
}
