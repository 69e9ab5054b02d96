import type { Message } from '@app/core';

interface ChannelHistory {
  /** Retained messages of the channel, oldest first, from index `start` on. */
  readonly messages: Message[];
  start: number;
  /** Sequence number of the newest message evicted from this channel, 0 if none. */
  evictedUpTo: number;
}

/** What a replay delivers, and whether part of the requested history was already evicted. */
export interface ReplaySlice {
  readonly messages: readonly Message[];
  readonly truncated: boolean;
}

/**
 * Bounded per-channel history for replay. Sequence numbers are global across channels, so a
 * channel whose history was evicted entirely can be forgotten and its positions still compare.
 */
export class History {
  private readonly channels = new Map<string, ChannelHistory>();
  /** One entry per added message in publish order, for evicting the globally oldest first. */
  private readonly order: { channel: string; seq: number }[] = [];
  private orderStart = 0;
  private retained = 0;
  /** The newest sequence number evicted from a channel that was then forgotten. */
  private forgottenUpTo = 0;

  constructor(
    private readonly perChannel: number,
    private readonly total: number,
  ) {}

  add(message: Message): void {
    let entry = this.channels.get(message.channel);
    if (entry === undefined) {
      // A channel forgotten earlier may have lost messages: assume the worst for old positions.
      entry = { messages: [], start: 0, evictedUpTo: this.forgottenUpTo };
      this.channels.set(message.channel, entry);
    }
    entry.messages.push(message);
    this.order.push({ channel: message.channel, seq: sequenceOf(message) });
    this.retained += 1;
    if (entry.messages.length - entry.start > this.perChannel) this.evictOldest(message.channel, entry);
    while (this.retained > this.total) {
      const next = this.order[this.orderStart] as { channel: string; seq: number };
      this.orderStart += 1;
      const oldest = this.channels.get(next.channel);
      const head = oldest?.messages[oldest.start];
      // Entries of messages already evicted by the per-channel limit are just skipped.
      if (oldest !== undefined && head !== undefined && sequenceOf(head) === next.seq) this.evictOldest(next.channel, oldest);
    }
    if (this.orderStart > 4096 && this.orderStart * 2 > this.order.length) {
      this.order.splice(0, this.orderStart);
      this.orderStart = 0;
    }
  }

  /** Messages of `channel` after sequence `afterSeq`, and whether some of those were evicted. */
  after(channel: string, afterSeq: number): ReplaySlice {
    const entry = this.channels.get(channel);
    if (entry === undefined) return { messages: [], truncated: afterSeq < this.forgottenUpTo };
    const messages: Message[] = [];
    for (let index = entry.start; index < entry.messages.length; index += 1) {
      const message = entry.messages[index] as Message;
      if (sequenceOf(message) > afterSeq) messages.push(message);
    }
    return { messages, truncated: afterSeq < entry.evictedUpTo };
  }

  private evictOldest(channel: string, entry: ChannelHistory): void {
    const evicted = entry.messages[entry.start] as Message;
    entry.messages[entry.start] = undefined as unknown as Message;
    entry.start += 1;
    this.retained -= 1;
    entry.evictedUpTo = Math.max(entry.evictedUpTo, sequenceOf(evicted));
    if (entry.start === entry.messages.length) {
      // Nothing left of this channel: forget it so unused channel names don't accumulate.
      this.forgottenUpTo = Math.max(this.forgottenUpTo, entry.evictedUpTo);
      this.channels.delete(channel);
    } else if (entry.start > 256 && entry.start * 2 > entry.messages.length) {
      entry.messages.splice(0, entry.start);
      entry.start = 0;
    }
  }
}

/** The sequence number inside a memory-bus position (`<epoch>-<seq>`). */
export function sequenceOf(message: Message): number {
  return Number(message.position.slice(message.position.indexOf('-') + 1));
}
