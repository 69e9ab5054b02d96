import type { BusFeature } from './features.js';

/** A message as a subscriber receives it. */
export interface Message<T = unknown> {
  /** Unique id, set by the publisher (or derived from the backend for foreign records). */
  readonly id: string;
  /** The channel it was published to. */
  readonly channel: string;
  /** The published data, decoded from JSON. */
  readonly data: T;
  /**
   * `data` as the JSON text the bus carried, when the driver has it. A relay (such as the
   * WebSocket server) embeds it in its own frames as is, so a message is decoded and encoded once
   * per instance rather than once per hop. When set, it is valid JSON whose value equals `data`
   * (the conformance suite checks it). Optional: a driver that leaves it out still works, callers
   * then encode `data` themselves. `lazyMessage` builds a message whose `data` is decoded from it
   * only when read.
   */
  readonly dataJson?: string;
  /** String headers given at publish time; drivers may add their own under a documented prefix. */
  readonly headers: Readonly<Record<string, string>>;
  /** When it was published, in milliseconds since the Unix epoch. */
  readonly timestamp: number;
  /**
   * Opaque, driver-specific place of this message in its channel's history. Pass it back as
   * `subscribe(..., { from })` to get what came after it. Compare positions only for equality,
   * and do not take them for message keys: an ephemeral message's may equal the position of the
   * stored message before it (see {@link PublishOptions.ephemeral}); the id tells them apart.
   */
  readonly position: string;
  /** 1 for the first delivery; higher when a group subscription redelivers after a failure. */
  readonly attempt: number;
}

/**
 * Handles one message. In `group` mode, a handler that throws or rejects gets the message
 * redelivered; in `broadcast` mode the error is reported through `onError` and delivery goes on.
 * The next message of the same subscription is not handed over until this one's promise settles.
 */
export type MessageHandler<T = unknown> = (message: Message<T>) => void | Promise<void>;

export interface PublishOptions {
  /** String headers carried with the message. Default: none. */
  readonly headers?: Readonly<Record<string, string>>;
  /** The message id. Default: a new random UUID. */
  readonly id?: string;
  /**
   * The message is only useful live (presence, heartbeats): the bus need not keep it for replay.
   * Default: false.
   *
   * When true it is delivered to current subscribers like any other message: in the same order
   * per channel relative to the publisher's other messages, to broadcast subscribers and groups,
   * with the same receipt (an id, and a position when the driver's receipts have one). But a
   * subscription `from` an earlier position, or one catching up after it fell behind or lost its
   * backend connection, may or may not receive it; what it does receive is in its place.
   * Its position may equal that of the stored message before it (Redis does so) and is a valid
   * `from`: resuming from it delivers the stored messages after it, with no gap and no duplicate.
   *
   * A driver that cannot skip storage stores it like any other message, and that is conformant:
   * Kafka always writes the record (topic retention applies); Redis stores it when the channel's
   * stream has a consumer group (a group reads only the stream). The memory driver and Redis
   * otherwise keep nothing of it. A value that is not a boolean is refused with `invalid_options`.
   */
  readonly ephemeral?: boolean;
}

/** What a successful publish returns. */
export interface PublishReceipt {
  /** The id of the published message. */
  readonly id: string;
  /** Its position, when the backend tells it at publish time (Kafka and Redis do). */
  readonly position?: string;
}

/**
 * `broadcast`: every subscriber on every instance gets every message (the fan-out a WebSocket
 * layer needs). `group`: competing consumers; each message goes to one member of the named group.
 */
export type DeliveryMode = 'broadcast' | 'group';

export interface SubscribeOptions {
  /** Default: `'broadcast'`. `'group'` needs the `groups` feature and a `group` name. */
  readonly mode?: DeliveryMode;
  /** The consumer group name, required in `group` mode. Same rules as a channel segment. */
  readonly group?: string;
  /**
   * Deliver the messages after this position first, then live messages. Needs the `replay`
   * feature. Broadcast only: with `mode: 'group'` it is refused with `invalid_options` on every
   * driver (a group resumes from its own committed state). Default: live messages only, from the
   * moment `subscribe` resolves.
   */
  readonly from?: string;
  /** Group mode: deliveries of one message before it is dead-lettered. Default: 5. */
  readonly maxAttempts?: number;
  /** Group mode: where dead letters go. Default: `dlq:<channel>`. */
  readonly deadLetterChannel?: string;
  /**
   * Called with errors that belong to this subscription but to no call: a broadcast handler
   * that threw, a message that could not be decoded, and the `position_expired` that ends a
   * broadcast subscription that fell too far behind (see {@link MessageBus.subscribe}). Default:
   * the driver logs them.
   */
  readonly onError?: (error: Error, message?: Message) => void;
}

/**
 * How a subscription with `from` started. `exact`: right after the position. `truncated`: the
 * bus no longer had everything after the position, so delivery began at the oldest message it
 * keeps (messages in between are lost to this subscriber). `none`: no `from` was given.
 */
export type ReplayStart = 'none' | 'exact' | 'truncated';

/** A live subscription. */
export interface Subscription {
  readonly channel: string;
  readonly mode: DeliveryMode;
  readonly replay: ReplayStart;
  /**
   * Where this subscription's delivery starts, as a position to pass as `from`: the messages after
   * it are exactly the messages this subscription delivers, the first one it delivers first, with
   * no gap and no overlap, messages published while `subscribe` was resolving included. So a later
   * `subscribe(channel, handler, { from: startPosition })`, on this bus or another instance on the
   * same backend, delivers them again, as long as the bus still keeps them (else it starts at the
   * oldest one kept and reports `replay: 'truncated'`). A client that has received nothing on the
   * channel yet resumes from it after a reconnect.
   *
   * - Live subscription: the position of the newest message published before live delivery
   *   began, that is, the point the driver's live delivery really starts after (where channels
   *   share one log, such as a Kafka partition or the memory bus's sequence, that message may be
   *   on another channel; replaying from it still delivers only this channel's). On a channel with
   *   no message yet, a position that stands before the channel's first message; it need not be
   *   the position of any message, and `from` accepts it (never `invalid_position`, never ahead)
   *   and delivers the channel from its first message.
   * - `from` subscription: `from` itself, in the driver's canonical spelling (the same string for
   *   any position the bus handed out). When `replay` is `'truncated'`, what this subscription
   *   lost is lost to a subscription from `startPosition` too.
   * - Set when `subscribe` resolves and never changes; undefined in group mode (a group resumes
   *   from its own state) and on drivers without the `replay` feature.
   *
   * Opaque like {@link Message.position}: compare positions only for equality.
   */
  readonly startPosition?: string | undefined;
  /**
   * Stops delivery. Resolves once no handler call is running for this subscription and none will
   * start, or, for a handler that does not return, after the driver's `closeTimeoutMs` (the same
   * bound as `close()`): that handler is then abandoned, its late completion ignored. In group
   * mode nothing the member took is lost: a message it did not finish, running or still queued
   * for it, goes to another member of the group later. Calling it again, after
   * the bus closed, or after the subscription ended with `position_expired`, resolves at once.
   */
  unsubscribe(): Promise<void>;
}

/**
 * `connecting`: not yet usable. `ready`: connected. `reconnecting`: lost the backend and trying
 * again; publishes fail with a retryable error or wait. `closed`: `close()` was called.
 */
export type BusStatus = 'connecting' | 'ready' | 'reconnecting' | 'closed';

/** Limits a bus enforces; callers use them to reject bad input early. */
export interface BusLimits {
  /** Largest accepted message: UTF-8 bytes of the JSON data plus header names and values. */
  readonly maxPayloadBytes: number;
}

/**
 * How a bus secures its connection to its backend, for readiness answers and logs; never holds a
 * secret. `protocol` is in the backend's own terms (Kafka: `PLAINTEXT`, `SSL`, `SASL_PLAINTEXT`
 * or `SASL_SSL`); `mechanism` is how it authenticates, when it does (Kafka: `plain`,
 * `scram-sha-256`, `scram-sha-512` or `oauthbearer`).
 */
export interface BusSecurity {
  readonly protocol: string;
  readonly mechanism?: string;
}

/**
 * Carries messages between publishers and subscribers, within one process or across many.
 *
 * Every method validates its input and rejects with a {@link BusError} whose `reason` tells
 * what went wrong; bad input never affects other callers.
 */
export interface MessageBus {
  /** The driver name, such as `memory` or `kafka`. */
  readonly driver: string;
  /** What this bus promises beyond the basic contract. */
  readonly features: ReadonlySet<BusFeature>;
  readonly limits: BusLimits;
  /** How the connection to the backend is secured; undefined when the driver does not say (e.g. in-process buses). */
  readonly security?: BusSecurity;

  /**
   * Publishes `data` (any JSON-encodable value) to `channel`.
   *
   * Resolves once the backend has accepted the message (for a persistent bus: stored it), so a
   * resolved publish is never lost. Rejects with `invalid_channel`, `invalid_data`,
   * `invalid_headers`, `invalid_options` (a bad `id` or `ephemeral`), `payload_too_large`, `closed`, or a retryable error when the backend is
   * down (`not_connected`, `timeout`) or too much is already waiting for it (`overloaded`; also
   * a group on the channel that is past its driver's bound, see {@link MessageBus.subscribe}).
   * A refused publish published nothing.
   * Messages published by one caller on one channel keep their order when the bus declares
   * `orderedPerChannel`, even when the caller does not wait for each publish. With
   * `ephemeral: true` the message is delivered live the same way, but the bus need not keep it, so
   * a replay or a subscriber catching up may miss it (see {@link PublishOptions.ephemeral}).
   */
  publish(channel: string, data: unknown, options?: PublishOptions): Promise<PublishReceipt>;

  /**
   * Calls `handler` for messages on `channel`.
   *
   * Resolves once the subscription is live: every message published after that is delivered.
   * Handler calls of one subscription never overlap. Rejects with `invalid_channel`,
   * `invalid_options` (also `from` with group mode), `unsupported` (group mode or `from` without
   * the feature), `invalid_position`, or `closed`. `invalid_position` is for a `from` the bus
   * cannot have handed out on this channel: a malformed one, or a well-formed one beyond the
   * channel's newest message (a position "from the future" means the caller mixed up backends,
   * so nothing is delivered rather than silently waiting for messages that may never come). A
   * `from` position older than what the bus keeps is not an error: the subscription starts at
   * the oldest kept message and reports `replay: 'truncated'`.
   *
   * A slow broadcast subscriber is never skipped silently. A driver either holds back delivery
   * for it (backpressure: nothing is lost, as on Redis), or, once it is further behind than a
   * bound the driver documents (memory and Kafka: `maxPendingPerSubscription` messages waiting;
   * Redis: held back, or disconnected, past what its stream keeps, `streamMaxLen`), ends the
   * subscription: no handler call starts after that, queued messages are dropped, and once the
   * running handler returned `onError` is called once with a retryable `BusError` of reason
   * `position_expired` whose message names the channel and the bound. The messages it delivered
   * before form a gap-free prefix of the channel, so the caller resumes with
   * `subscribe(channel, handler, { from })`, `from` being the position of the last message it
   * handled (or the subscription's `startPosition` when it handled none). `unsubscribe()` then
   * resolves at once. Never reason `internal` for this: that reason means a driver bug.
   *
   * A slow group loses nothing either: a message that no member can take yet (every member busy
   * or its queue full) waits for the group, and reaches a member once one catches up. A driver
   * that bounds that wait in memory (memory: `maxPendingPerSubscription` messages waiting for the
   * group) refuses further publishes on the channel with a retryable `overloaded` while the group
   * is at the bound, so the publisher slows down instead of the group dropping messages; a
   * backend that keeps the messages (Kafka, Redis) simply holds them back.
   */
  subscribe<T = unknown>(channel: string, handler: MessageHandler<T>, options?: SubscribeOptions): Promise<Subscription>;

  /** The connection state now. */
  status(): BusStatus;

  /**
   * Waits for publishes already started to settle, ends every subscription (letting queued
   * messages run and waiting for running handlers), and releases connections. Bounded on every
   * driver: each of those waits gives up after the driver's `closeTimeoutMs` option (default
   * 5000 ms), and close resolves anyway; a handler still running then is abandoned (its late
   * completion is ignored; a group message it did not ack is redelivered to another member
   * later). Later `publish` and `subscribe` calls reject with reason `closed`. Calling it again
   * returns the same promise.
   */
  close(): Promise<void>;
}
