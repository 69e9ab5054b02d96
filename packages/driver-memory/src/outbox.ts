import type { Message } from '@app/core';

/** What {@link Outbox.take} hands over: messages in publish order, their sequence numbers and whether each is ephemeral, index for index. */
export interface OutboxBatch {
  readonly messages: readonly Message[];
  readonly seqs: readonly number[];
  readonly ephemeral: readonly boolean[];
}

/**
 * Messages published from a handler during a fan-out, and every publish after them while they
 * wait (so one channel keeps publish order). They are fanned out after a setImmediate hop, not a
 * microtask: a handler that republishes on every message then takes one hop per round, and timers
 * and I/O run between rounds instead of starving.
 */
export class Outbox {
  private messages: Message[] = [];
  private seqs: number[] = [];
  private ephemeral: boolean[] = [];
  private scheduled: NodeJS.Immediate | undefined;

  /** @param flush Called on each hop; it should {@link take} and fan out what waits. */
  constructor(private readonly flush: () => void) {}

  /** How many messages wait. */
  get size(): number {
    return this.messages.length;
  }

  /** Holds `message` (sequence number `seq`, higher than any held; kept out of history when `ephemeral`) and schedules a hop unless one is. */
  add(message: Message, seq: number, ephemeral: boolean): void {
    this.messages.push(message);
    this.seqs.push(seq);
    this.ephemeral.push(ephemeral);
    this.scheduled ??= setImmediate(() => {
      this.scheduled = undefined;
      this.flush();
    });
  }

  /** Takes everything waiting now; what is added after waits for the next hop. Empty when nothing waits. */
  take(): OutboxBatch {
    const batch = { messages: this.messages, seqs: this.seqs, ephemeral: this.ephemeral };
    this.messages = [];
    this.seqs = [];
    this.ephemeral = [];
    return batch;
  }

  /** Cancels the scheduled hop (the bus closed); what waits stays until taken. */
  cancel(): void {
    if (this.scheduled !== undefined) clearImmediate(this.scheduled);
    this.scheduled = undefined;
  }
}
