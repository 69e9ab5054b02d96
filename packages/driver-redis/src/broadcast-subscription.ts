import { BusError, type Message } from '@app/core';
import { DriverSubscription, type DriverSubscriptionSettings } from '@app/core/driver';
import type { Redis } from 'ioredis';
import { decodeEntry } from './entry-codec.js';
import type { LiveListener } from './live-channels.js';
import type { LiveEntry } from './announcement.js';
import { parseEntries } from './replies.js';
import { replayStart } from './replay-start.js';
import { compareIds } from './stream-id.js';

/** What a broadcast subscription needs from its bus. */
export interface BroadcastHost {
  readonly command: Redis;
  /** Entries per `XRANGE` when reading the stream. */
  readonly readBatchSize: number;
  /** Stops announcements to this subscription. */
  stopListening(subscription: BroadcastSubscription): void;
}

/**
 * `live`: announcements are delivered as they come. `reading`: the stream is being read after
 * `lastId` (start with `from`, a gap, a reconnect); announcements meanwhile are held. `behind`:
 * the handler's queue is full; announcements are ignored and the stream is read again once the
 * queue has drained to half, so a slow subscriber loses nothing the stream still keeps; one whose
 * entries were trimmed meanwhile ends with `position_expired`.
 */
type State = 'live' | 'reading' | 'behind';

/** Announcements held while reading; past this many they are dropped and the stream is read once more. */
const MAX_HELD = 10_000;
const RETRY_MIN_MS = 50;
const RETRY_MAX_MS = 2000;

/**
 * A broadcast subscriber. Live messages come from pub/sub; the stream is read only to start at
 * a position, to fill a gap, or after a lost connection. Each announcement names the entry
 * before it, so a subscription takes it directly only when that is the last entry it had;
 * anything else (a missed announcement, an entry another tool added) makes it read the stream
 * from its last id. Nothing stored is skipped or delivered twice. An ephemeral message (no entry)
 * is taken the same way, without moving the last id; one whose predecessor it has not reached
 * yet waits for the read like any announcement, and is dropped if the read goes past it.
 */
export class BroadcastSubscription extends DriverSubscription implements LiveListener {
  /** Id of the last entry delivered to (or skipped by) this subscription; ephemeral messages leave it as it is. */
  private lastId = '0-0';
  private state: State = 'reading';
  private held: LiveEntry[] = [];
  /** Held announcements were dropped, or a reconnect happened during a read: read once more. */
  private readAgain = false;
  /**
   * Held back (queue full), or reconnected, since the last read: the next read first checks that
   * the stream still keeps every entry after `lastId`, and ends the subscription with
   * `position_expired` if trimming took some (rather than skip them silently).
   */
  private trimCheck = false;
  private reading = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private host: BroadcastHost | undefined;

  constructor(
    settings: DriverSubscriptionSettings,
    /** The channel's stream key. */
    readonly key: string,
  ) {
    super(settings);
  }

  /**
   * Starts after `afterId`, which becomes the start position: every entry after it is delivered,
   * held announcements of entries up to it are skipped (`0-0` for an empty stream). Delivers
   * announcements at once, or reads the stream first when `read` is set.
   */
  begin(host: BroadcastHost, afterId: string, read: boolean): void {
    this.host = host;
    this.lastId = afterId;
    this.startAfter(afterId);
    if (read || !this.settleHeld()) this.readStream();
  }

  onLive(entry: LiveEntry): void {
    if (this.detached || this.state === 'behind') return;
    if (this.state === 'reading') {
      this.hold(entry);
      return;
    }
    this.take(entry);
  }

  onResubscribed(): void {
    if (this.detached) return;
    // Announcements were lost while the connection was down, and the stream may have been trimmed
    // past `lastId` meanwhile: the next read checks that before reading on.
    this.trimCheck = true;
    if (this.state === 'behind') return;
    if (this.state === 'reading') this.readAgain = true;
    else this.readStream();
  }

  /** After each handler call: report a failure, and read the stream again once a backlog drained to half. */
  protected override settled(message: Message, error: Error | undefined): void {
    if (error !== undefined) this.reportError(error, message);
    if (this.state === 'behind' && this.waiting <= this.maxPending / 2) this.readStream();
  }

  protected detach(): void {
    clearTimeout(this.retryTimer);
    this.held = [];
    this.host?.stopListening(this);
  }

  /** Delivers a live announcement that directly follows the last entry; anything else sends it to the stream. */
  private take(entry: LiveEntry): void {
    if (this.passed(entry)) return;
    if (entry.previousId !== this.lastId) {
      this.hold(entry);
      this.readStream();
      return;
    }
    this.deliver(entry.streamId, entry.message);
  }

  /**
   * Already behind this subscription: an entry up to `lastId`, or an ephemeral message announced
   * after an entry before `lastId` (its place went by while the stream was read: it is skipped).
   */
  private passed(entry: LiveEntry): boolean {
    const order = compareIds(entry.streamId, this.lastId);
    return entry.ephemeral ? order < 0 : order <= 0;
  }

  private hold(entry: LiveEntry): void {
    if (this.held.length >= MAX_HELD) {
      // Everything announced is in the stream already: reading again brings it back.
      this.held = [];
      this.readAgain = true;
      return;
    }
    this.held.push(entry);
  }

  /**
   * Queues one message (or reports one that is not) and makes `streamId` the last id; false when
   * the queue is full and the subscription fell behind. An ephemeral message is delivered only
   * when its `streamId` (its predecessor) is `lastId` already, so it leaves the last id as it was.
   */
  private deliver(streamId: string, message: Message | BusError): boolean {
    if (message instanceof BusError) {
      this.reportError(message);
    } else if (!this.push(message)) {
      this.state = 'behind';
      this.trimCheck = true;
      this.held = [];
      this.logger.debug({ channel: this.channel, lastId: this.lastId }, 'subscriber is behind; reading the stream again once it catches up');
      return false;
    }
    this.lastId = streamId;
    return true;
  }

  private readStream(): void {
    if (this.detached) return;
    if (this.reading) {
      this.readAgain = true;
      return;
    }
    this.reading = true;
    this.state = 'reading';
    void this.read();
  }

  /** Reads the stream after `lastId` to its end, then delivers what was held meanwhile and goes live. */
  private async read(): Promise<void> {
    const host = this.host as BroadcastHost;
    try {
      for (;;) {
        // Each pass: a reconnect during a read asks for the check as well as for another pass.
        if (this.trimCheck) {
          if ((await replayStart(host.command, this.key, this.lastId)).replay === 'truncated') {
            void this.expire(`further behind than its stream keeps: entries after ${this.lastId} were trimmed (streamMaxLen) or the stream expired (streamTtlSeconds)`);
            return;
          }
          this.trimCheck = false;
        }
        const reply = await host.command.call('XRANGE', [this.key, `(${this.lastId}`, '+', 'COUNT', host.readBatchSize]);
        if (this.detached) return;
        const entries = parseEntries(reply, 'XRANGE');
        for (const entry of entries) if (!this.deliver(entry.id, this.decode(entry))) return;
        if (entries.length === host.readBatchSize) continue;
        if (this.readAgain) {
          this.readAgain = false;
          continue;
        }
        this.failures = 0;
        if (this.settleHeld()) return;
      }
    } catch (error) {
      if (this.detached) return;
      this.failures += 1;
      const log = this.failures === 1 ? this.logger.warn.bind(this.logger) : this.logger.debug.bind(this.logger);
      log({ channel: this.channel, err: error, failures: this.failures }, 'reading the channel stream failed; retrying');
      const wait = Math.min(RETRY_MIN_MS * 2 ** (this.failures - 1), RETRY_MAX_MS);
      this.retryTimer = setTimeout(() => this.readStream(), wait);
    } finally {
      // Cleared synchronously on the way out, so a request that comes right after starts a new read.
      this.reading = false;
      if (this.state === 'behind' && this.waiting <= this.maxPending / 2) this.readStream();
    }
  }

  /**
   * Delivers the held announcements that follow on from `lastId` and goes live. Every held
   * announcement's entry was stored before it was announced, so a gap among them is filled by
   * reading the stream again: false then, and the caller reads on.
   */
  private settleHeld(): boolean {
    const held = this.held;
    this.held = [];
    for (const entry of held) {
      if (this.passed(entry)) continue;
      if (entry.previousId !== this.lastId) return false;
      if (!this.deliver(entry.streamId, entry.message)) return true;
    }
    this.state = 'live';
    return true;
  }

  private decode(entry: { readonly id: string; readonly fields: readonly string[] }): Message | BusError {
    try {
      return decodeEntry(this.channel, entry, 1);
    } catch (error) {
      return error instanceof BusError ? error : new BusError('invalid_data', String(error));
    }
  }
}
