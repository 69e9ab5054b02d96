import type { BusLogger } from '@app/core';

/** Options of {@link createRedisBus}. Every field is optional. */
export interface RedisBusOptions {
  /**
   * Where Redis is: `redis://[user:password@]host:port[/db]`, or `rediss://` for TLS.
   * Default: `'redis://127.0.0.1:6379'`.
   */
  readonly url?: string;
  /**
   * Put before every key the bus writes, e.g. `staging:`. No braces or whitespace, at most 100
   * characters. Default: `'bus:'`.
   */
  readonly keyPrefix?: string;
  /**
   * Approximate length each channel stream is trimmed to on publish (`XADD ... MAXLEN ~ n`).
   * Replay reaches back at most this far. `0` turns trimming off. Default: 10000.
   */
  readonly streamMaxLen?: number;
  /**
   * Seconds a channel's stream is kept after its last stored publish: each publish that stores an
   * entry sets `EXPIRE <stream> streamTtlSeconds` again, so only a channel idle this long loses
   * its stream (a finished game room, say). Ephemeral publishes do not count, and neither do
   * reads, acks or subscribes. `0` never expires streams. Default: 86400 (one day).
   *
   * Once a stream has expired, `subscribe` with `from` one of its positions starts with
   * `replay: 'truncated'` (never `invalid_position`) and delivers what is published after. A
   * consumer group lives in its stream, so a group channel idle past the TTL loses the group,
   * its position and its pending (unacknowledged) entries; the group is re-created, at the start
   * of the new stream, by the next subscribe or by a member that meets `NOGROUP`.
   */
  readonly streamTtlSeconds?: number;
  /**
   * How often the pub/sub connection is checked with `PING`, in ms. One that does not answer
   * within `commandTimeoutMs` is dropped and reconnected, and every subscription then reads what
   * it missed from its stream. Default: 5000.
   */
  readonly pingIntervalMs?: number;
  /**
   * Group mode: how long a delivered message may stay unacknowledged before another member
   * takes it over (`XAUTOCLAIM`), in ms. Must exceed the longest handler run. Default: 30000.
   */
  readonly claimIdleMs?: number;
  /** Group mode: pause before a message whose handler threw is delivered again, in ms. Default: 100. */
  readonly retryDelayMs?: number;
  /** Entries fetched per `XRANGE` when a subscription reads its stream (replay, a gap, a reconnect). Default: 500. */
  readonly readBatchSize?: number;
  /**
   * Messages waiting for one subscription's handler. A broadcast subscription this far behind
   * stops taking live messages until its queue has drained to half, then reads what it missed
   * from the stream (nothing is dropped while the stream still keeps the entries). Default: 10000.
   */
  readonly maxPendingPerSubscription?: number;
  /** Largest accepted message in bytes (JSON data plus headers). Default: 1048576 (1 MiB). */
  readonly maxPayloadBytes?: number;
  /** Longest wait for the first connection before `publish`/`subscribe` give up, in ms. Default: 10000. */
  readonly connectTimeoutMs?: number;
  /** Longest wait for one Redis command (a publish, a subscribe step), in ms. Default: 10000. */
  readonly commandTimeoutMs?: number;
  /**
   * How long `close()` lets queued deliveries and publishes finish, and how long `close()` and
   * `unsubscribe()` wait for a handler still running before abandoning it (a group message it did
   * not ack is taken over by another member after `claimIdleMs`), in ms. Default: 5000.
   */
  readonly closeTimeoutMs?: number;
  /**
   * Connection names are `<clientName>:command` and `<clientName>:subscriber` (see `CLIENT LIST`);
   * group consumer names start with it too. Letters, digits, `_`, `.`, `-`, `:`. Default: `'bus'`.
   */
  readonly clientName?: string;
  /**
   * Declare the `persistent` feature: an acknowledged publish survives a Redis restart. Only
   * Redis can keep that promise: turn it on when the server runs with the append-only file
   * (`appendonly yes`; `appendfsync always` for no loss at all, `everysec` may lose the last
   * second on a crash). When on, the bus checks `CONFIG GET appendonly` at connect and warns if
   * it is off. Default: false.
   */
  readonly persistent?: boolean;
  /** Where driver warnings go. Default: a logger that drops everything. */
  readonly logger?: BusLogger;
}

/** Options with every default applied, as the bus uses them. */
export type ResolvedRedisBusOptions = Required<RedisBusOptions>;
