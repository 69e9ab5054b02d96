import { describeError, isBusError, type Message, type MessageBus, type Subscription } from '@app/core';
import type { Logger } from 'pino';

/**
 * This instance's bus subscription to one presence channel. `live` resolves once every presence
 * message published from then on reaches `handler` (and `onLive` has sent the `sync`); `synced`
 * PRESENCE_SYNC_MS later, when the `state`s answering the sync have had time to arrive. A bus
 * that ends the subscription (`position_expired`: it fell behind) calls `onEnded`, so that the
 * owner can follow again.
 */
export class PresenceFollow {
  readonly live: Promise<void>;
  readonly synced: Promise<void>;
  private readonly subscribing: Promise<Subscription>;
  private stopping: Promise<void> | undefined;

  constructor(
    bus: MessageBus,
    readonly presenceChannel: string,
    handler: (message: Message) => void,
    syncMs: number,
    onLive: () => void,
    logger: Logger,
    onEnded: () => void = () => undefined,
  ) {
    this.subscribing = bus.subscribe(presenceChannel, handler, {
      onError: (error) => {
        logger.warn({ channel: presenceChannel, err: describeError(error) }, 'presence subscription error');
        if (isBusError(error) && error.reason === 'position_expired' && this.stopping === undefined) onEnded();
      },
    });
    this.live = this.subscribing.then(() => {
      if (this.stopping === undefined) onLive();
    });
    this.synced = this.live.then(() => new Promise<void>((resolve) => setTimeout(resolve, syncMs)));
    // Nobody may be waiting on these: a failed subscribe must not become an unhandled rejection.
    this.synced.catch(() => undefined);
  }

  /** Ends the subscription (once it is there); safe to call more than once, and before it is live. */
  stop(): Promise<void> {
    this.stopping ??= this.subscribing.then(
      (subscription) => subscription.unsubscribe(),
      () => undefined,
    );
    return this.stopping.catch(() => undefined);
  }
}
