/**
 * Why an operation on a bus failed. Callers branch on this, never on the message text.
 *
 * - `invalid_channel`: the channel name breaks the rules of {@link validateChannel}.
 * - `invalid_data`: the data cannot be encoded as JSON (a BigInt, a cycle, a function, `undefined`).
 * - `invalid_headers`: a header name or value is not a short string.
 * - `payload_too_large`: the encoded message is over the bus's `maxPayloadBytes`.
 * - `invalid_options`: an option passed to `subscribe` or a factory is wrong (missing group, bad number...).
 * - `invalid_position`: the `from` position is not one this bus ever handed out.
 * - `position_expired`: a broadcast subscription fell further behind than the bound its driver
 *   documents, and the bus ended it rather than skip messages (see {@link MessageBus.subscribe}).
 *   Reported once through the subscription's `onError`, never thrown by a call. Retryable:
 *   subscribe again with `from` = the position of the last message handled. (A `from` older than
 *   what the bus keeps is not this error: that subscription starts with `replay: 'truncated'`.)
 * - `unsupported`: the call needs a feature the driver does not declare.
 * - `closed`: the bus was closed; it will not work again.
 * - `not_connected`: the backend is unreachable right now; try again later.
 * - `timeout`: a wait ran out; the message names what was awaited.
 * - `overloaded`: the bus refused the call to keep its memory bounded (too much already waiting
 *   for the backend, or for a group on the channel whose members are all behind); nothing was
 *   published; try again shortly.
 * - `unauthorized`: the backend refused our credentials.
 * - `config`: the driver's configuration cannot work (e.g. more replicas than live brokers).
 * - `broker`: the backend answered with an error not covered above.
 * - `internal`: a bug in the driver; please report it.
 */
export type BusErrorReason =
  | 'invalid_channel'
  | 'invalid_data'
  | 'invalid_headers'
  | 'payload_too_large'
  | 'invalid_options'
  | 'invalid_position'
  | 'position_expired'
  | 'unsupported'
  | 'closed'
  | 'not_connected'
  | 'timeout'
  | 'overloaded'
  | 'unauthorized'
  | 'config'
  | 'broker'
  | 'internal';

const RETRYABLE_BY_DEFAULT: ReadonlySet<BusErrorReason> = new Set(['position_expired', 'not_connected', 'timeout', 'overloaded', 'broker']);

export interface BusErrorOptions {
  /** The error of the underlying client, kept for logs and debugging. */
  cause?: unknown;
  /** Overrides the default for the reason (`position_expired`, `not_connected`, `timeout`, `overloaded` and `broker` retry by default). */
  retryable?: boolean;
}

/**
 * The one error type every bus operation rejects with.
 * Drivers map their client's errors to it in one place, keeping the original as `cause`.
 */
export class BusError extends Error {
  override readonly name = 'BusError';
  readonly reason: BusErrorReason;
  /** True when the same call may succeed later without any change by the caller. */
  readonly isRetryable: boolean;

  constructor(reason: BusErrorReason, message: string, options: BusErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.reason = reason;
    this.isRetryable = options.retryable ?? RETRYABLE_BY_DEFAULT.has(reason);
  }
}

/** Type guard that also works across copies of this package (e.g. another team's bundled one). */
export function isBusError(value: unknown): value is BusError {
  return (
    value instanceof BusError ||
    (value instanceof Error && value.name === 'BusError' && typeof (value as { reason?: unknown }).reason === 'string')
  );
}

/** A short, single-line description of any thrown value, for logs and error frames. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
