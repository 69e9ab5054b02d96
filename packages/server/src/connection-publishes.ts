import type { PublishOptions, PublishReceipt } from '@app/core';
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { busErrorCode } from './bus-error-code.js';
import { CLOSE_CODES } from './close-codes.js';
import type { ConnectionDeps } from './connection-deps.js';
import type { PendingWork } from './pending-work.js';
import type { ErrorCode } from './protocol.js';
import { PublishRate } from './publish-rate.js';

/** What the publishes need of their connection; the connection itself, not closures per client. */
export interface PublishOwner {
  readonly log: Logger;
  ack(id: string | undefined): void;
  /** Acks a publish with the bus message id and, when the bus told it, the position. */
  ackPublish(id: string | undefined, receipt: PublishReceipt): void;
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
    /** The token's `sub`; undefined for an anonymous client. Scopes client-chosen message ids. */
    private readonly user: string | undefined,
  ) {}

  /** Settles once every publish handed to the bus so far has been answered. */
  answered(): Promise<unknown> {
    return Promise.allSettled([...(this.pending ?? [])]);
  }

  /** `messageId`, when the client chose one, becomes the bus id scoped to the publisher (see {@link scopedMessageId}). */
  publish(channel: string, data: unknown, id: string | undefined, messageId?: string): void {
    if (!this.withinRate(channel, id)) return;
    const pending = (this.pending ??= new Set());
    const options = messageId === undefined ? this.options : { ...this.options, id: scopedMessageId(this.user, messageId) };
    // One promise per publish: answering also settles the bookkeeping (this is the hot path).
    const answer: Promise<void> = this.deps.bus.publish(channel, data, options).then(
      (receipt) => {
        this.deps.metrics.messagesPublished.inc();
        this.owner.ackPublish(id, receipt);
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
    this.rate ??= new PublishRate({ ratePerSecond, burst }, this.deps.clock.now());
    const verdict = this.rate.take(this.deps.clock.now());
    if (verdict === 'allowed') return true;
    if (verdict === 'limited') {
      this.owner.sendError('rate_limited', `over ${ratePerSecond} publishes per second (burst ${burst}); slow down and publish again`, id, channel);
    } else {
      this.owner.end('publish_flood', CLOSE_CODES.publishFlood, 'publish rate exceeded');
    }
    return false;
  }
}

/** The bus's limit on message ids (see preparePublish in @app/core). */
const MAX_BUS_ID_LENGTH = 128;

/**
 * The bus id of a publish whose client chose `messageId`: `<sub>:<messageId>`, or `anon:<messageId>`
 * for anonymous clients, so one user's ids never collide with another's and a retry of the same
 * publish carries the same id. A `sub` too long to fit the bus's 128 characters is replaced by
 * `#` and its SHA-256 (base64url), which keeps the id per user and within the limit.
 */
export function scopedMessageId(user: string | undefined, messageId: string): string {
  const scope = user ?? 'anon';
  if (scope.length + 1 + messageId.length <= MAX_BUS_ID_LENGTH) return `${scope}:${messageId}`;
  return `#${createHash('sha256').update(scope).digest('base64url')}:${messageId}`;
}
