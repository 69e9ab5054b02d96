import { describeError, type Message, type MessageBus, type ReplayStart, type Subscription } from '@app/core';
import type { Logger } from 'pino';
import type { ChannelHub, ChannelListener } from './channel-hub.js';
import type { ServerMetrics } from './metrics.js';
import { ReplayHandover } from './replay-handover.js';

export interface ClientChannelOptions {
  readonly channel: string;
  /** Position to resume after. */
  readonly since: string;
  readonly hub: ChannelHub;
  readonly bus: MessageBus;
  readonly logger: Logger;
  readonly metrics: ServerMetrics;
  /** Sends a message frame to the client. */
  readonly forward: (frame: string) => void;
  /** Bound on what a replay handover may hold in memory. */
  readonly maxPending: number;
  /** Bytes of shared frames held during a `since` handover before it is given up. */
  readonly maxPendingBytes: number;
}

/**
 * One client's subscription to one channel resumed with `since`: a listener on the instance's
 * shared subscription plus a private replay subscription, spliced by ReplayHandover. (A plain
 * subscription needs none of this: the connection itself listens on the hub.)
 */
export class ClientChannel implements ChannelListener {
  private closed = false;
  private joined = false;
  private replay: Subscription | undefined;
  private replayStopWanted = false;
  private started: ReplayStart = 'exact';
  private readonly handover: ReplayHandover;

  private constructor(private readonly options: ClientChannelOptions) {
    this.handover = new ReplayHandover({
      forward: (frame) => {
        if (!this.closed) options.forward(frame);
      },
      stopReplay: () => this.stopReplay(),
      maxPending: options.maxPending,
      maxPendingBytes: options.maxPendingBytes,
      ordered: options.bus.features.has('orderedPerChannel'),
    });
  }

  /** How the replay started: `exact` or `truncated`. */
  get replayStart(): ReplayStart {
    return this.started;
  }

  /** Resolves once the client receives the replay and then every message published from now on. */
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
      replay = await bus.subscribe(channel, (message) => result.handover.onReplay(message), {
        from: since,
        onError: (error) => options.logger.warn({ channel, err: describeError(error) }, 'replay subscription error'),
      });
    } catch (error) {
      result.close();
      throw error;
    }
    options.metrics.busSubscriptions.inc();
    result.started = replay.replay;
    result.replay = replay;
    // The handover may have finished (or the client left) while subscribe was resolving.
    const state = result.handover.state;
    if (result.closed || state === 'live' || state === 'skipping') result.stopReplay(true);
    return result;
  }

  onChannelMessage(message: Message, frame: string): boolean {
    // The handover forwards (and counts) what it sends itself.
    this.handover.onShared(message, frame);
    return false;
  }

  /** Stops delivery to the client at once; the bus side is released in the background. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.joined) this.options.hub.leave(this.options.channel, this);
    this.stopReplay();
  }

  private stopReplay(force = false): void {
    if (this.replayStopWanted && !force) return;
    this.replayStopWanted = true;
    const replay = this.replay;
    if (replay === undefined) return;
    this.replay = undefined;
    this.options.metrics.busSubscriptions.dec();
    replay.unsubscribe().catch((error: unknown) => {
      this.options.logger.debug({ channel: this.options.channel, err: describeError(error) }, 'replay unsubscribe failed');
    });
  }
}
