import { describeError, type MessageBus, type ReplayStart, type Subscription } from '@app/core';
import type { Logger } from 'pino';
import type { ChannelHub } from './channel-hub.js';
import type { ServerMetrics } from './metrics.js';
import { ReplayHandover } from './replay-handover.js';

export interface ClientChannelOptions {
  readonly channel: string;
  /** Position to resume after; undefined for live messages only. */
  readonly since: string | undefined;
  readonly hub: ChannelHub;
  readonly bus: MessageBus;
  readonly logger: Logger;
  readonly metrics: ServerMetrics;
  /** Sends a message frame (text, or its UTF-8 bytes) to the client. */
  readonly forward: (frame: string | Buffer) => void;
  /** Bound on what a replay handover may hold in memory. */
  readonly maxPending: number;
  /** Bytes of shared frames held during a `since` handover before it is given up. */
  readonly maxPendingBytes: number;
}

/**
 * One client's subscription to one channel: a listener on the instance's shared subscription,
 * plus, while it recovers with `since`, a private replay subscription (see ReplayHandover).
 */
export class ClientChannel {
  private closed = false;
  private leave: (() => void) | undefined;
  private replay: Subscription | undefined;
  private replayStopWanted = false;

  private constructor(
    private readonly options: ClientChannelOptions,
    /** How the replay started: `none` without `since`, else `exact` or `truncated`. */
    readonly replayStart: ReplayStart,
  ) {}

  /** Resolves once the client receives every message published from now on (and the replay, if asked). */
  static async open(options: ClientChannelOptions): Promise<ClientChannel> {
    const { channel, since, hub, bus } = options;
    let closed = false;
    const forward = (frame: string | Buffer): void => {
      if (!closed) options.forward(frame);
    };
    if (since === undefined) {
      const leave = await hub.join(channel, (_message, _frame, bytes) => forward(bytes));
      const result = new ClientChannel(options, 'none');
      result.leave = () => {
        closed = true;
        leave();
      };
      return result;
    }

    let result: ClientChannel | undefined;
    const handover = new ReplayHandover({
      forward,
      stopReplay: () => result?.stopReplay(),
      maxPending: options.maxPending,
      maxPendingBytes: options.maxPendingBytes,
      ordered: bus.features.has('orderedPerChannel'),
    });
    // Without one order per channel, positions cannot be matched: the replay stays the whole stream.
    const leave = handover.state === 'dedicated' ? () => {} : await hub.join(channel, (message, frame) => handover.onShared(message, frame));
    let replay: Subscription;
    try {
      replay = await bus.subscribe(channel, (message) => handover.onReplay(message), {
        from: since,
        onError: (error) => options.logger.warn({ channel, err: describeError(error) }, 'replay subscription error'),
      });
    } catch (error) {
      leave();
      throw error;
    }
    options.metrics.busSubscriptions.inc();
    result = new ClientChannel(options, replay.replay);
    result.replay = replay;
    result.leave = () => {
      closed = true;
      leave();
    };
    // The handover may have finished while subscribe was resolving.
    if (handover.state === 'live' || handover.state === 'skipping') result.stopReplay();
    return result;
  }

  /** Stops delivery to the client at once; the bus side is released in the background. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.leave?.();
    this.stopReplay();
  }

  private stopReplay(): void {
    if (this.replayStopWanted) return;
    this.replayStopWanted = true;
    const replay = this.replay;
    if (replay === undefined) return;
    this.options.metrics.busSubscriptions.dec();
    replay.unsubscribe().catch((error: unknown) => {
      this.options.logger.debug({ channel: this.options.channel, err: describeError(error) }, 'replay unsubscribe failed');
    });
  }
}
