import { BusError } from '../errors.js';
import type { BusLogger } from '../logger.js';
import type { BusStatus } from '../message-bus.js';
import type { DriverSubscription } from './driver-subscription.js';

/**
 * What every bus does the same way around `close()`: close once (every call gets the same
 * promise), `closed` checks that reject with reason `closed`, publishes in flight that close
 * waits for (bounded), the subscriptions close ends (bounded), and the `closed` status.
 */
export class BusLifecycle {
  private closing: Promise<void> | undefined;
  /** Set before `shutdown` starts, so checks made from inside it already see the bus closed. */
  private closeCalled = false;
  private readonly publishes = new Set<Promise<unknown>>();
  private readonly subscriptions = new Set<DriverSubscription>();

  /**
   * @param driver The driver name, used in the `closed` error message (`the <driver> bus is closed`).
   * @param closeTimeoutMs The bus's `closeTimeoutMs`: the longest wait of each bounded step of close.
   */
  constructor(
    private readonly driver: string,
    private readonly closeTimeoutMs: number,
    private readonly logger: BusLogger,
  ) {}

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.closeCalled;
  }

  /** A new `closed` BusError (not retryable) saying this bus is closed. */
  closedError(): BusError {
    return new BusError('closed', `the ${this.driver} bus is closed`);
  }

  /** Throws {@link closedError} once `close()` was called; else does nothing. */
  assertOpen(): void {
    if (this.closeCalled) throw this.closedError();
  }

  /** `closed` once `close()` was called, else what `live()` says (the driver's connection state). */
  status(live: () => BusStatus): BusStatus {
    return this.closeCalled ? 'closed' : live();
  }

  /**
   * Remembers a publish in flight until it settles, so {@link settlePublishes} waits for it.
   * Returns `work` itself (its result and rejection are untouched).
   */
  trackPublish<T>(work: Promise<T>): Promise<T> {
    this.publishes.add(work);
    const forget = (): void => {
      this.publishes.delete(work);
    };
    work.then(forget, forget);
    return work;
  }

  /**
   * Remembers a subscription until it ends, so {@link endSubscriptions} ends it. Returns it.
   */
  adopt<S extends DriverSubscription>(subscription: S): S {
    this.subscriptions.add(subscription);
    subscription.onEnded(() => this.subscriptions.delete(subscription));
    return subscription;
  }

  /**
   * Resolves once every tracked publish settled, or after `closeTimeoutMs` (logged as a
   * warning: those publishes may still succeed or fail later). Never rejects.
   */
  async settlePublishes(): Promise<void> {
    if (this.publishes.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), this.closeTimeoutMs);
    });
    try {
      const settled = Promise.allSettled([...this.publishes]).then(() => false);
      if (await Promise.race([settled, timedOut])) {
        this.logger.warn({ pending: this.publishes.size, waitedMs: this.closeTimeoutMs }, 'closing with publishes still in flight');
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Ends every adopted subscription with `drainAndEnd(closeTimeoutMs)`: queued messages run until
   * the deadline, then handlers still running are abandoned. Resolves within about
   * `closeTimeoutMs`; never rejects.
   */
  async endSubscriptions(): Promise<void> {
    await Promise.allSettled([...this.subscriptions].map((subscription) => subscription.drainAndEnd(this.closeTimeoutMs)));
  }

  /**
   * Runs `shutdown` on the first call and returns its promise on every call (the bus's
   * `close()`). From the first call on, {@link closed} is true. A failing shutdown is logged and
   * close still resolves: a bus that could not release everything is closed all the same.
   */
  close(shutdown: () => Promise<void>): Promise<void> {
    if (this.closing === undefined) {
      this.closeCalled = true;
      this.closing = shutdown().catch((error: unknown) => {
        this.logger.warn({ err: error }, `closing the ${this.driver} bus failed; it is closed all the same`);
      });
    }
    return this.closing;
  }
}
