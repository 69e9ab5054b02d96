import { DriverSubscription, type DriverSubscriptionSettings } from '@app/core/driver';

/**
 * One subscriber. The core skeleton does the work: a bounded queue in front of the handler (calls
 * never overlap), a throwing handler reported to `onError`, ending once (unsubscribe, close, or
 * `position_expired` past `maxPending`), and a drain bounded by `closeTimeoutMs`. The driver only
 * says how to take it off its channel.
 */
export class ExampleSubscription extends DriverSubscription {
  constructor(
    settings: DriverSubscriptionSettings,
    private readonly leave: (subscription: ExampleSubscription) => void,
  ) {
    super(settings);
  }

  /** Called once, when it starts ending: no message is offered to it after this. */
  protected detach(): void {
    this.leave(this);
  }
}
