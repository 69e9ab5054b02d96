import type { PublishOptions } from '@app/core';
import type { Logger } from 'pino';
import { busErrorCode } from './bus-error-code.js';
import { CLOSE_CODES } from './close-codes.js';
import type { ConnectionDeps } from './connection.js';
import type { PendingWork } from './pending-work.js';
import type { ErrorCode } from './protocol.js';
import { PublishRate } from './publish-rate.js';

/** What the publishes need of their connection; the connection itself, not closures per client. */
export interface PublishOwner {
  readonly log: Logger;
  ack(id: string | undefined): void;
  sendError(code: ErrorCode, message: string, id: string | undefined, channel?: string): void;
  /** Closes the connection on the server's initiative, counted by `reason`. */
  end(reason: string, code: number, text: string): void;
}

/**
 * One connection's publishes: the per-connection rate, the hand-over to the bus in frame order
 * (not awaited: the bus keeps one caller's order per channel), and the answers still owed, which
 * a shutdown waits for so the client learns which publishes were stored.
 */
export class ConnectionPublishes {
  /** Publish answers not yet sent; made on the first publish. */
  private pending: Set<Promise<void>> | undefined;
  /** Made on the first publish, when PUBLISH_RATE_PER_CONNECTION is on. */
  private rate: PublishRate | undefined;

  constructor(
    private readonly owner: PublishOwner,
    private readonly deps: ConnectionDeps,
    private readonly work: PendingWork,
    /** Every publish of an authenticated client carries its `sub`; anonymous ones carry nothing. */
    private readonly options: PublishOptions | undefined,
  ) {}

  /** Settles once every publish handed to the bus so far has been answered. */
  answered(): Promise<unknown> {
    return Promise.allSettled([...(this.pending ?? [])]);
  }

  publish(channel: string, data: unknown, id: string | undefined): void {
    if (!this.withinRate(channel, id)) return;
    const pending = (this.pending ??= new Set());
    // One promise per publish: answering also settles the bookkeeping (this is the hot path).
    const answer: Promise<void> = this.deps.bus.publish(channel, data, this.options).then(
      () => {
        this.deps.metrics.messagesPublished.inc();
        this.owner.ack(id);
        pending.delete(answer);
        this.work.settled();
      },
      (error: unknown) => {
        const { code, message } = busErrorCode(error);
        if (code === 'internal_error') this.owner.log.error({ channel, err: error }, 'publish failed');
        this.owner.sendError(code, message, id, channel);
        pending.delete(answer);
        this.work.settled();
      },
    );
    pending.add(answer);
    this.work.began();
  }

  /** False, with `rate_limited` sent (or the 4029 close for a flood), when the connection is over its rate. */
  private withinRate(channel: string, id: string | undefined): boolean {
    const { publishRatePerConnection: ratePerSecond, publishBurstPerConnection: burst } = this.deps.config;
    if (ratePerSecond === 0) return true;
    this.rate ??= new PublishRate({ ratePerSecond, burst });
    const verdict = this.rate.take();
    if (verdict === 'allowed') return true;
    if (verdict === 'limited') {
      this.owner.sendError('rate_limited', `over ${ratePerSecond} publishes per second (burst ${burst}); slow down and publish again`, id, channel);
    } else {
      this.owner.end('publish_flood', CLOSE_CODES.publishFlood, 'publish rate exceeded');
    }
    return false;
  }
}
