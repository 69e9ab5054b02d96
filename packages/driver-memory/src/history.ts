import type { Message } from '@app/core';

interface ChannelHistory {
  /** Retained messages of the channel, oldest first, from index `start` on. */
  readonly messages: Message[];
  /** Their sequence numbers, index for index (kept apart so eviction never parses a position). */
  readonly seqs: number[];
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
  /**
   * Channel and sequence number of every added message in publish order, for evicting the
   * globally oldest first. Two flat arrays rather than an object per message: this is per publish.
   */
  private readonly orderChannels: string[] = [];
  private readonly orderSeqs: number[] = [];
  private orderStart = 0;
  private retained = 0;
  /** The newest sequence number evicted from a channel that was then forgotten. */
  private forgottenUpTo = 0;

  constructor(
    private readonly perChannel: number,
    private readonly total: number,
  ) {}

  /** Adds `message`, whose position carries sequence number `seq` (higher than any added before). */
  add(message: Message, seq: number): void {
    let entry = this.channels.get(message.channel);
    if (entry === undefined) {
      // A channel forgotten earlier may have lost messages: assume the worst for old positions.
      entry = { messages: [], seqs: [], start: 0, evictedUpTo: this.forgottenUpTo };
      this.channels.set(message.channel, entry);
    }
    entry.messages.push(message);
    entry.seqs.push(seq);
    this.orderChannels.push(message.channel);
    this.orderSeqs.push(seq);
    this.retained += 1;
    if (entry.messages.length - entry.start > this.perChannel) this.evictOldest(message.channel, entry);
    while (this.retained > this.total) {
      const channel = this.orderChannels[this.orderStart] as string;
      const nextSeq = this.orderSeqs[this.orderStart] as number;
      this.orderStart += 1;
      const oldest = this.channels.get(channel);
      // Entries of messages already evicted by the per-channel limit are just skipped.
      if (oldest !== undefined && oldest.start < oldest.seqs.length && oldest.seqs[oldest.start] === nextSeq) this.evictOldest(channel, oldest);
    }
    if (this.orderStart > 4096 && this.orderStart * 2 > this.orderChannels.length) {
      this.orderChannels.splice(0, this.orderStart);
      this.orderSeqs.splice(0, this.orderStart);
      this.orderStart = 0;
    }
  }

  /** Messages of `channel` after sequence `afterSeq`, and whether some of those were evicted. */
  after(channel: string, afterSeq: number): ReplaySlice {
    const entry = this.channels.get(channel);
    if (entry === undefined) return { messages: [], truncated: afterSeq < this.forgottenUpTo };
    const messages: Message[] = [];
    for (let index = entry.start; index < entry.messages.length; index += 1) {
      if ((entry.seqs[index] as number) > afterSeq) messages.push(entry.messages[index] as Message);
    }
    return { messages, truncated: afterSeq < entry.evictedUpTo };
  }

  private evictOldest(channel: string, entry: ChannelHistory): void {
    const evictedSeq = entry.seqs[entry.start] as number;
    entry.messages[entry.start] = undefined as unknown as Message;
    entry.start += 1;
    this.retained -= 1;
    entry.evictedUpTo = Math.max(entry.evictedUpTo, evictedSeq);
    if (entry.start === entry.messages.length) {
      // Nothing left of this channel: forget it so unused channel names don't accumulate.
      this.forgottenUpTo = Math.max(this.forgottenUpTo, entry.evictedUpTo);
      this.channels.delete(channel);
    } else if (entry.start > 256 && entry.start * 2 > entry.messages.length) {
      entry.messages.splice(0, entry.start);
      entry.seqs.splice(0, entry.start);
      entry.start = 0;
    }
  }
}
