/**
 * Codes the client gives on its own, besides the server's error codes (docs/protocol.md):
 * - `closed`: `close()` was called, or the subscription was ended before the server confirmed it;
 * - `disconnected`: the connection dropped while a request that is not retried was waiting;
 * - `timeout`: no answer within `ackTimeoutMs`;
 * - `queue_full`: `maxQueuedPublishes` publishes already wait for a connection;
 * - `already_subscribed`: `subscribe` to a channel this client is already subscribed to;
 * - `token_expired`: the fixed `token` expired and there is no `getToken` to get another;
 * - `unauthorized`: the server refused the fixed `token` at the handshake (401);
 * - `token_unavailable`: `getToken()` threw or rejected;
 * - `invalid_options`: `createClient` was given unusable options.
 */
export type ClientErrorCode =
  | 'closed'
  | 'disconnected'
  | 'timeout'
  | 'queue_full'
  | 'already_subscribed'
  | 'token_expired'
  | 'unauthorized'
  | 'token_unavailable'
  | 'invalid_options';

/** Every error the client reports: a promise rejection, an `error` event, or the reason of `closed`. */
export class ClientError extends Error {
  override readonly name = 'ClientError';
  /** The server's error code (`forbidden`, `rate_limited`, ...) or one of {@link ClientErrorCode}. Branch on it. */
  readonly code: string;
  /** The channel the failure concerns, when there is one. */
  readonly channel: string | undefined;

  constructor(code: string, message: string, channel?: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    this.channel = channel;
  }
}
