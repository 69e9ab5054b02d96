import { DriverSubscription, type DriverSubscriptionSettings } from '@app/core/driver';

/** How a subscription leaves the reader that feeds it. */
export interface ReaderLink {
  /** Stops handing it records (synchronous: no record reaches it after this). */
  detach(subscription: LocalSubscription): void;
  /** Stops what only it used (a replay reader, the last member's group reader); after its handlers stopped. */
  release?(subscription: LocalSubscription): Promise<void>;
}

/**
 * One subscriber in this process, on the core skeleton. Broadcast and replay deliveries go
 * through its bounded queue (`offer`: a slow handler never holds up the shared reader, and one
 * more than `maxPendingPerSubscription` behind ends with `position_expired`); group deliveries
 * are awaited by the group reader itself through `invoke`, which is what makes retries possible.
 */
export class LocalSubscription extends DriverSubscription {
  constructor(
    settings: DriverSubscriptionSettings,
    private readonly link: ReaderLink,
  ) {
    super(settings);
  }

  protected detach(): void {
    this.link.detach(this);
  }

  protected override async afterStop(): Promise<void> {
    await this.link.release?.(this);
  }
}
