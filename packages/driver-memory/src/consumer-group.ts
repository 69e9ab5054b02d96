import type { Message } from '@app/core';
import type { LocalSubscription } from './local-subscription.js';

/** The members of one named group on one channel; each message goes to one of them. */
export class ConsumerGroup {
  readonly members: LocalSubscription[] = [];
  private next = 0;

  get size(): number {
    return this.members.length;
  }

  add(member: LocalSubscription): void {
    this.members.push(member);
  }

  remove(member: LocalSubscription): void {
    const index = this.members.indexOf(member);
    if (index !== -1) this.members.splice(index, 1);
  }

  /** Hands the message to the next member in turn that can take it; false if none could. */
  assign(message: Message): boolean {
    for (let tried = 0; tried < this.members.length; tried += 1) {
      const member = this.members[this.next % this.members.length] as LocalSubscription;
      this.next = (this.next + 1) % this.members.length;
      if (member.push(message)) return true;
    }
    this.members[0]?.reportOverflow(message);
    return false;
  }
}
