import type { ClientError } from './client-error.js';
import type { PublishResult } from './publish-queue.js';
import type { Message, PresenceMember, SubscribeOptions, Subscription } from './subscription.js';

/**
 * `connecting`: the first connection attempt. `connected`: the server's welcome came; frames
 * flow. `disconnected`: a working connection dropped (passes on to `reconnecting` at once).
 * `reconnecting`: waiting out the backoff, or trying again. `closed`: `close()`, or an error
 * the client cannot get past (see {@link ClientEvents.closed}); final.
 */
export type ClientState = 'connecting' | 'connected' | 'disconnected' | 'reconnecting' | 'closed';

/** Events of the client; each is also the state it enters, but `error`. */
export interface ClientEvents {
  /** The first attempt starts, on `url`. */
  connecting: { readonly url: string };
  /** The server's welcome came; subscriptions were resumed and waiting publishes sent. `instance` is the server's name. */
  connected: { readonly url: string; readonly instance: string };
  /** A working connection dropped, with the WebSocket close code (1006 without a close frame, 1001 shutdown, 4001 token expired, ...). */
  disconnected: { readonly code: number; readonly reason: string };
  /** The next attempt is planned, on `url` in `delayMs`. `attempt` counts failed attempts since the last connection: 1 after a drop, then 2, 3 ... */
  reconnecting: { readonly attempt: number; readonly delayMs: number; readonly url: string };
  /** `error` is set when the client gave up: `token_expired`, `unauthorized`, `invalid_options`. */
  closed: { readonly error?: ClientError };
  /** A failure that belongs to no call: `getToken()` failed, a `refresh` was refused (`invalid_token`, `sub_mismatch`). */
  error: ClientError;
}

/** A channel's present members, as `presence()` answers. */
export interface PresenceSnapshot {
  /** Each present user once, in no particular order. */
  readonly members: readonly PresenceMember[];
  /** True when the server listed only part of the members. */
  readonly truncated: boolean;
}

/** A client of the realtime-bus WebSocket protocol; made by `createClient`. */
export interface Client {
  /** The state now. */
  readonly state: ClientState;
  /** Adds a listener; returns the function that removes it. */
  on<K extends keyof ClientEvents>(event: K, listener: (payload: ClientEvents[K]) => void): () => void;
  /**
   * Subscribes to `channel`; `handler` gets each message once, in channel order, across
   * reconnects (resumed with `since`). Throws a ClientError `already_subscribed` when the
   * channel is already subscribed, `closed` after `close()`.
   */
  subscribe<T = unknown>(channel: string, handler: (message: Message<T>) => void, options?: SubscribeOptions): Subscription;
  /**
   * Publishes `data` (any JSON value) to `channel`. Resolves on the server's ack; rejects with a
   * ClientError: the server's code (`forbidden`, `rate_limited`, `payload_too_large`,
   * `bus_unavailable`, ...), `queue_full`, `timeout` or `closed`. Made while disconnected, it waits
   * for the connection; sent but unacknowledged when the connection drops, it is sent again with
   * the same `messageId`.
   */
  publish(channel: string, data: unknown): Promise<PublishResult>;
  /** The channel's present members. Rejects with the server's code (`forbidden`, ...), `disconnected`, `timeout` or `closed`. */
  presence(channel: string): Promise<PresenceSnapshot>;
  /** Closes the connection for good: pending publishes and requests reject with `closed`. */
  close(): void;
}
