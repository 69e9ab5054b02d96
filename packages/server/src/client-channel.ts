import { describeError, isBusError, type Message, type MessageBus, type ReplayStart, type Subscription } from '@app/core';
import type { Logger } from 'pino';
import type { ChannelHub, ChannelListener } from './channel-hub.js';
import type { ServerMetrics } from './metrics.js';
import { ReplayHandover, type HandoverSink } from './replay-handover.js';

export interface ClientChannelOptions {
  readonly channel: string;
  /** Position to resume after. */
  readonly since: string;
  readonly hub: ChannelHub;
  readonly bus: MessageBus;
  readonly logger: Logger;
  readonly metrics: ServerMetrics;
  /** The client's side: where replayed and shared message frames go. */
  readonly sink: HandoverSink;
  /**
   * Called once this channel can no longer promise the client every message: the shared
   * subscription lost some, or the replay fell behind the bus's bound (`position_expired`). The
   * owner ends the channel and has the client resume from the last message it got.
   */
  readonly onGap: () => void;
  /** Bound on what a replay handover may hold in memory. */
  readonly maxPending: number;
  /** Bytes of shared frames held during a `since` handover before it is given up. */
  readonly maxPendingBytes: number;
}

/**
 * One client's subscription to one channel resumed with `since`: a listener on the instance's
 * shared subscription plus a private replay subscription, spliced by ReplayHandover. (A plain
 * subscription needs none of this: the connection itself listens on the hub.)
 *
 * The dependency runs one way: this class feeds the handover and reads its `replayWanted`; the
 * handover reports only to the client's sink, never back here.
 */
export class ClientChannel implements ChannelListener {
  private closed = false;
  private joined = false;
  private replay: Subscription | undefined;
  private started: ReplayStart = 'exact';
  private readonly handover: ReplayHandover;

  private constructor(private readonly options: ClientChannelOptions) {
    this.handover = new ReplayHandover({
      sink: options.sink,
      maxPending: options.maxPending,
      maxPendingBytes: options.maxPendingBytes,
      ordered: options.bus.features.has('orderedPerChannel'),
    });
  }

  /** How the replay started: `exact` or `truncated`. */
  get replayStart(): ReplayStart {
    return this.started;
  }

  /**
   * Resolves once the client receives the replay and then every message published from now on.
   * Rejects with the bus's error when the replay cannot start (`invalid_position`, ...).
   */
  static async open(options: ClientChannelOptions): Promise<ClientChannel> {
    const { channel, since, hub, bus } = options;
    const result = new ClientChannel(options);
    // Without one order per channel, positions cannot be matched: the replay stays the whole stream.
    if (result.handover.state !== 'dedicated') {
      await hub.join(channel, result);
      result.joined = true;
    }
    let replay: Subscription;
    try {
      replay = await bus.subscribe(channel, (message) => result.onReplay(message), {
        from: since,
        onError: (error) => result.replayFailed(error),
      });
    } catch (error) {
      result.close();
      throw error;
    }
    options.metrics.busSubscriptions.inc();
    result.started = replay.replay;
    result.replay = replay;
    // The shared stream may have taken over (or the client left) while subscribe was resolving.
    result.settle();
    return result;
  }

  onChannelMessage(message: Message, framed: Buffer): boolean {
    if (this.closed) return false;
    // The handover sends (and the sink counts) what it forwards itself.
    this.handover.onShared(message, framed);
    this.settle();
    return false;
  }

  onChannelGap(): void {
    if (!this.closed) this.options.onGap();
  }

  /** Stops delivery to the client at once; the bus side is released in the background. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.joined) this.options.hub.leave(this.options.channel, this);
    this.endReplay();
  }

  private onReplay(message: Message): void {
    if (this.closed) return;
    this.handover.onReplay(message);
    this.settle();
  }

  private replayFailed(error: unknown): void {
    // The driver ended a replay that fell behind: the client resumes from what it got.
    if (isBusError(error) && error.reason === 'position_expired') {
      // Before open() stored it, the replay is counted and released (a no-op unsubscribe) by close().
      if (this.replay !== undefined) {
        this.replay = undefined;
        this.options.metrics.busSubscriptions.dec();
      }
      this.onChannelGap();
      return;
    }
    this.options.logger.warn({ channel: this.options.channel, err: describeError(error) }, 'replay subscription error');
  }

  /** Ends the replay once the shared stream has taken over or the client left. */
  private settle(): void {
    if (this.closed || !this.handover.replayWanted) this.endReplay();
  }

  private endReplay(): void {
    const replay = this.replay;
    if (replay === undefined) return;
    this.replay = undefined;
    this.options.metrics.busSubscriptions.dec();
    replay.unsubscribe().catch((error: unknown) => {
      this.options.logger.debug({ channel: this.options.channel, err: describeError(error) }, 'replay unsubscribe failed');
    });
  }
}
