import type { Message } from '@app/core';
import type { LocalSubscription } from './local-subscription.js';

/**
 * The members of one named group on one channel; each message goes to one of them. A message no
 * member can take now (every queue full) waits in the group's backlog, in order, until a member
 * frees a place: slow members hold messages back, they never lose them. The bus refuses publishes
 * on the channel while the backlog is at its bound (see {@link ConsumerGroup.full}).
 */
export class ConsumerGroup {
  readonly members: LocalSubscription[] = [];
  private next = 0;
  private readonly backlog: Message[] = [];

  /** @param bound Backlog length at which {@link full} turns true (the bus's `maxPendingPerSubscription`). */
  constructor(private readonly bound: number) {}

  get size(): number {
    return this.members.length;
  }

  /** Messages no member could take yet. */
  get waiting(): number {
    return this.backlog.length;
  }

  /**
   * True while the backlog holds `bound` messages or more: the bus then refuses new publishes on
   * the channel with a retryable `overloaded`. Redeliveries, dead letters and messages published
   * from handlers mid fan-out may still join, so the backlog stays near the bound, never far past
   * it.
   */
  get full(): boolean {
    return this.backlog.length >= this.bound;
  }

  add(member: LocalSubscription): void {
    this.members.push(member);
    this.refill();
  }

  remove(member: LocalSubscription): void {
    const index = this.members.indexOf(member);
    if (index !== -1) this.members.splice(index, 1);
  }

  /** Hands the message to the next member in turn that can take it, or keeps it in the backlog. */
  assign(message: Message): void {
    // Behind what waits already, so the group keeps publish order as far as its members allow.
    if (this.backlog.length > 0 || !this.offer(message)) this.backlog.push(message);
  }

  /** A member freed a place (or joined): hands out what waits, oldest first, while anyone takes it. */
  refill(): void {
    while (this.backlog.length > 0 && this.offer(this.backlog[0] as Message)) this.backlog.shift();
  }

  /** Drops the backlog (the last member left) and says how many messages it held. */
  clear(): number {
    const dropped = this.backlog.length;
    this.backlog.length = 0;
    return dropped;
  }

  private offer(message: Message): boolean {
    for (let tried = 0; tried < this.members.length; tried += 1) {
      const member = this.members[this.next % this.members.length] as LocalSubscription;
      this.next = (this.next + 1) % this.members.length;
      if (member.push(message)) return true;
    }
    return false;
  }
}
