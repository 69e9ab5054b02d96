import type { Message } from '@app/core';
import { asError, DriverSubscription, type DriverSubscriptionSettings } from '@app/core/driver';
import type { Redis } from 'ioredis';
import { decodeEntry } from './entry-codec.js';
import { isNoGroupError } from './map-error.js';
import type { ResolvedRedisBusOptions } from './options.js';
import { parseAutoClaim, parseDeliveryCounts, parseEntries, parseStreams, type StreamEntry } from './replies.js';
import type { LiveEntry } from './announcement.js';
import type { LiveChannels, LiveListener } from './live-channels.js';

/** Entries one member reads at a time: few, so members share the work and little waits unacknowledged. */
const GROUP_READ_COUNT = 16;

/** What a member needs from its bus. */
export interface GroupHost {
  readonly command: Redis;
  readonly live: LiveChannels;
  readonly options: ResolvedRedisBusOptions;
  /** Creates the group if it is missing (`XGROUP CREATE ... MKSTREAM`); true when it was created. */
  ensureGroup(key: string, group: string, startId: string): Promise<boolean>;
  /** Publishes a dead letter of `message` to `channel`. */
  deadLetter(channel: string, message: Message, error: unknown): Promise<void>;
}

/**
 * One member of a consumer group: its own consumer name, non-blocking `XREADGROUP` when its
 * channel announces new entries on pub/sub (and on a timer, as a safety net that also finds
 * entries other tools added), `XACK` after the handler
 * succeeds, `XCLAIM` to itself for a retry after a failure, `XAUTOCLAIM` of entries other
 * members left idle for `claimIdleMs`, and dead-lettering after `maxAttempts`.
 */
export class GroupMember extends DriverSubscription implements LiveListener {
  private host: GroupHost | undefined;
  private consumer = '';
  private group = '';
  private dirty = true;
  private pumping: Promise<void> | undefined;
  private claiming = false;
  private claimCursor = '0-0';
  /**
   * Where to go on reading this consumer's own pending entries (`XREADGROUP ... <id>`), or none.
   * Set after a failed read or a reconnect: Redis may have handed entries to a read whose reply
   * was lost, and those would otherwise wait `claimIdleMs` for `XAUTOCLAIM`.
   */
  private historyFrom: string | undefined = '0-0';
  private ticker: NodeJS.Timeout | undefined;
  private readonly retries = new Set<NodeJS.Timeout>();
  /** Ids queued or being handled here, so a claim never hands this member its own work twice. */
  private readonly inHand = new Set<string>();

  constructor(
    settings: DriverSubscriptionSettings,
    /** The channel's stream key. */
    readonly key: string,
  ) {
    super(settings);
  }

  /** Starts reading as `consumer` of `group`; the bus has made it a listener of its channel already. */
  start(host: GroupHost, group: string, consumer: string): void {
    this.host = host;
    this.group = group;
    this.consumer = consumer;
    const every = Math.min(Math.max(Math.floor(host.options.claimIdleMs / 2), 50), 5000);
    this.ticker = setInterval(() => void this.tick(), every);
    this.signal();
  }

  /** A new entry: read. An ephemeral announcement added none (the script stores what a group would need). */
  onLive(entry: LiveEntry): void {
    if (!entry.ephemeral) this.signal();
  }

  onResubscribed(): void {
    this.historyFrom = '0-0';
    this.signal();
  }

  signal(): void {
    this.dirty = true;
    if (this.pumping === undefined) this.pumping = this.pump().finally(() => (this.pumping = undefined));
  }

  /** After each handler call: `XACK` on success, a retry or dead letter on failure. */
  protected override async settled(message: Message, error: Error | undefined): Promise<void> {
    this.inHand.delete(message.position);
    const host = this.host;
    if (host === undefined) return;
    if (error !== undefined) {
      await this.failed(host, message, error);
      return;
    }
    try {
      await host.command.call('XACK', [this.key, this.group, message.position]);
    } catch (error) {
      this.logger.warn({ channel: this.channel, messageId: message.id, err: error }, 'XACK failed; the message will be delivered again after claimIdleMs');
    }
    if (this.waiting === 0 && this.dirty) this.signal();
  }

  protected detach(): void {
    clearInterval(this.ticker);
    for (const timer of this.retries) clearTimeout(timer);
    this.retries.clear();
    this.host?.live.remove(this.key, this);
  }

  /** Removes the consumer from the group when it holds nothing (its pending entries would be lost). */
  protected override async afterStop(): Promise<void> {
    const host = this.host;
    if (host === undefined) return;
    await this.pumping;
    try {
      const pending = await host.command.call('XPENDING', [this.key, this.group, '-', '+', 1, this.consumer]);
      if (Array.isArray(pending) && pending.length === 0) await host.command.call('XGROUP', ['DELCONSUMER', this.key, this.group, this.consumer]);
    } catch (error) {
      this.logger.debug({ channel: this.channel, consumer: this.consumer, err: error }, 'could not remove the group consumer');
    }
  }

  /** Reads new entries while this member is idle and its channel announced some. */
  private async pump(): Promise<void> {
    const host = this.host;
    if (host === undefined) return;
    const count = Math.min(GROUP_READ_COUNT, this.maxPending);
    let recreated = false;
    while (this.dirty && !this.detached && this.waiting === 0) {
      this.dirty = false;
      const from = this.historyFrom;
      let entries: StreamEntry[];
      try {
        const reply = await host.command.call('XREADGROUP', ['GROUP', this.group, this.consumer, 'COUNT', count, 'STREAMS', this.key, from ?? '>']);
        entries = parseStreams(reply, 'XREADGROUP').get(this.key) ?? [];
        if (from !== undefined) {
          await this.acceptOwnHistory(host, entries, count);
          continue;
        }
      } catch (error) {
        // NOGROUP (a restart without persistence) re-creates the group and reads again; else the timer retries.
        if (!recreated && (await this.recover(host, error, 'read'))) {
          recreated = true;
          continue;
        }
        return;
      }
      if (entries.length === count) this.dirty = true;
      for (const entry of entries) await this.accept(host, entry, 1);
    }
  }

  /** Queues own pending entries not already in hand, with the delivery count Redis keeps for each. */
  private async acceptOwnHistory(host: GroupHost, entries: StreamEntry[], count: number): Promise<void> {
    const last = entries.at(-1);
    this.historyFrom = entries.length === count && last !== undefined ? last.id : undefined;
    this.dirty = true;
    const fresh = entries.filter((entry) => !this.inHand.has(entry.id));
    const first = fresh[0];
    if (first === undefined) return;
    const counts = parseDeliveryCounts(await host.command.call('XPENDING', [this.key, this.group, first.id, fresh.at(-1)?.id ?? first.id, fresh.length, this.consumer]));
    for (const entry of fresh) await this.accept(host, entry, counts.get(entry.id) ?? 2);
  }

  private async tick(): Promise<void> {
    const host = this.host;
    if (host === undefined || this.detached || this.claiming || this.waiting > 0) return;
    this.claiming = true;
    try {
      const reply = await host.command.call('XAUTOCLAIM', [this.key, this.group, this.consumer, host.options.claimIdleMs, this.claimCursor, 'COUNT', GROUP_READ_COUNT]);
      const { cursor, entries } = parseAutoClaim(reply);
      this.claimCursor = cursor;
      for (const entry of entries) {
        if (this.inHand.has(entry.id)) continue;
        const counts = parseDeliveryCounts(await host.command.call('XPENDING', [this.key, this.group, entry.id, entry.id, 1]));
        this.logger.info({ channel: this.channel, group: this.group, entryId: entry.id }, 'took over a message another member left unacknowledged');
        await this.accept(host, entry, counts.get(entry.id) ?? 2);
      }
    } catch (error) {
      await this.recover(host, error, 'claim');
    } finally {
      this.claiming = false;
    }
    this.signal();
  }

  /** Queues an entry for the handler, or settles it here when it cannot be handled. */
  private async accept(host: GroupHost, entry: StreamEntry, attempt: number): Promise<void> {
    let message: Message;
    try {
      message = decodeEntry(this.channel, entry, attempt);
    } catch (error) {
      // Not a message (e.g. a foreign entry without data): report it once and take it off the list.
      this.reportError(asError(error));
      await host.command.call('XACK', [this.key, this.group, entry.id]).catch(() => undefined);
      return;
    }
    if (attempt > this.options.maxAttempts) {
      await this.deadLetter(host, message, new Error(`delivered ${attempt - 1} times without being acknowledged`));
      return;
    }
    if (this.detached || !this.push(message)) return; // stays pending: claimed again later
    this.inHand.add(entry.id);
  }

  private async failed(host: GroupHost, message: Message, error: unknown): Promise<void> {
    this.logger.debug({ channel: this.channel, messageId: message.id, attempt: message.attempt, err: error }, 'group handler failed');
    if (message.attempt >= this.options.maxAttempts) {
      await this.deadLetter(host, message, error);
      return;
    }
    const timer = setTimeout(() => {
      this.retries.delete(timer);
      void this.retry(host, message);
    }, host.options.retryDelayMs);
    this.retries.add(timer);
  }

  /** Takes the failed entry again (`XCLAIM` raises Redis's delivery count) and queues it. */
  private async retry(host: GroupHost, message: Message): Promise<void> {
    if (this.detached) return;
    try {
      const reply = await host.command.call('XCLAIM', [this.key, this.group, this.consumer, 0, message.position]);
      const [entry] = parseEntries(reply, 'XCLAIM');
      // Gone when trimmed away meanwhile, or taken and acknowledged by another member.
      if (entry !== undefined) await this.accept(host, entry, message.attempt + 1);
    } catch (error) {
      await this.recover(host, error, 'retry');
    }
  }

  private async deadLetter(host: GroupHost, message: Message, error: unknown): Promise<void> {
    try {
      await host.deadLetter(this.options.deadLetterChannel, message, error);
      await host.command.call('XACK', [this.key, this.group, message.position]);
    } catch (failure) {
      this.logger.error(
        { channel: this.channel, messageId: message.id, err: failure },
        'dead-lettering failed; the message stays pending and is taken over again after claimIdleMs',
      );
    }
  }

  /** Deals with a failed group command; true when the group was re-created and the command can run again now. */
  private async recover(host: GroupHost, error: unknown, doing: string): Promise<boolean> {
    this.dirty = true;
    this.historyFrom = '0-0';
    if (this.detached) return false;
    if (!isNoGroupError(error)) {
      this.logger.debug({ channel: this.channel, group: this.group, err: error }, `group ${doing} failed; retrying`);
      return false;
    }
    try {
      // The stream and its groups vanished (a Redis restart without persistence): what the new stream holds is all new.
      if (await host.ensureGroup(this.key, this.group, '0')) {
        this.logger.warn({ channel: this.channel, group: this.group }, 'consumer group was missing; re-created it');
      }
      return true;
    } catch (createError) {
      this.logger.warn({ channel: this.channel, group: this.group, err: createError }, 'could not re-create the consumer group');
      return false;
    }
  }
}
