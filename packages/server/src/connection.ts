import { withTimeout, type MessageBus } from '@app/core';
import type { Logger } from 'pino';
import type { Duplex } from 'node:stream';
import WebSocket, { type RawData } from 'ws';
import { busErrorCode } from './bus-error-code.js';
import type { ChannelHub } from './channel-hub.js';
import { ClientChannel } from './client-channel.js';
import { CLOSE_CODES } from './close-codes.js';
import type { ServerConfig } from './config.js';
import type { ServerMetrics } from './metrics.js';
import { parseClientFrame, type ClientFrame, type ErrorCode } from './protocol.js';
import { ackFrame, errorFrame, welcomeFrame } from './server-frames.js';

export interface ConnectionDeps {
  readonly config: ServerConfig;
  readonly logger: Logger;
  readonly metrics: ServerMetrics;
  readonly bus: MessageBus;
  readonly hub: ChannelHub;
}

/** ws sends a Buffer as a binary frame unless told otherwise; message frames are JSON text. */
const TEXT = { binary: false } as const;

/** Shared messages a recovering client may hold while its replay catches up. */
const MAX_HANDOVER_PENDING = 10_000;

function rawToText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
}

/**
 * One client: its subscriptions, the order in which its frames are handled, and a bounded
 * outgoing buffer.
 *
 * Frames are handled one after another, so a subscribe takes effect before the frames after it.
 * A publish is handed to the bus in frame order but not awaited (the bus keeps one caller's order
 * per channel), and its ack comes when the bus accepts it. When too much of a client's work is
 * pending, reading its socket pauses: TCP then pushes back on the client instead of server memory.
 */
export class Connection {
  private readonly channels = new Map<string, ClientChannel>();
  private queue: Promise<void> = Promise.resolve();
  private pending = 0;
  private paused = false;
  private closed = false;
  /** Shutting down: no frames are handled and nothing is delivered; publish answers still go out. */
  private draining = false;
  private readonly publishing = new Set<Promise<void>>();
  private alive = true;
  /** The raw socket is corked until the end of the tick, see send(). */
  private corked = false;
  private readonly logger: Logger;
  readonly done: Promise<void>;

  constructor(
    private readonly socket: WebSocket,
    /** The TCP (or TLS) socket under `socket`, which ws writes every frame to. */
    private readonly raw: Duplex,
    private readonly deps: ConnectionDeps,
    readonly id: string,
  ) {
    this.logger = deps.logger.child({ connection: id });
    let markDone: () => void = () => {};
    this.done = new Promise((resolve) => {
      markDone = resolve;
    });
    socket.on('close', (code, reason) => {
      this.release();
      this.logger.debug({ code, reason: reason.toString() }, 'connection closed');
      markDone();
    });
    // ws reports oversize and malformed frames here and closes the socket itself; nothing to rethrow.
    socket.on('error', (error) => this.logger.debug({ err: error.message }, 'socket error'));
    socket.on('pong', () => {
      this.alive = true;
    });
    socket.on('message', (data, isBinary) => this.receive(data, isBinary));
    this.send(
      welcomeFrame({
        instance: deps.config.instanceId,
        driver: deps.bus.driver,
        maxFrameBytes: deps.config.maxFrameBytes,
        maxSubscriptions: deps.config.maxSubscriptionsPerConnection,
      }),
    );
  }

  /** Heartbeat tick: terminates the connection if no pong came since the last ping, else pings again. */
  heartbeat(): void {
    if (this.closed) return;
    if (!this.alive) {
      this.logger.info({}, 'no pong since the last ping; terminating');
      this.deps.metrics.disconnects.inc({ reason: 'heartbeat_timeout' });
      this.release();
      this.socket.terminate();
      return;
    }
    this.alive = false;
    this.socket.ping();
  }

  /**
   * Closes with 1001 for a server shutdown, once the publishes already handed to the bus are
   * answered (for at most `answerWithinMs`): the client then knows which of them were stored.
   */
  shutdown(answerWithinMs: number): void {
    if (this.closed || this.draining) return;
    this.draining = true;
    this.deps.metrics.disconnects.inc({ reason: 'shutdown' });
    this.releaseChannels();
    const answered = withTimeout(Promise.allSettled([...this.publishing]), answerWithinMs, 'publish answers before closing');
    void answered.catch(() => undefined).then(() => {
      this.release();
      this.socket.close(CLOSE_CODES.goingAway, 'server shutting down');
    });
  }

  /** Drops the socket without a handshake (a shutdown that ran out of time). */
  terminate(): void {
    this.release();
    this.socket.terminate();
  }

  private receive(data: RawData, isBinary: boolean): void {
    this.deps.metrics.framesReceived.inc();
    if (this.closed || this.draining) return;
    this.enqueue(async () => {
      if (isBinary) {
        this.sendError('binary_unsupported', 'binary frames are not supported; send JSON text frames', undefined);
        return;
      }
      const parsed = parseClientFrame(rawToText(data));
      if (!parsed.ok) {
        this.sendError(parsed.problem.code, parsed.problem.message, parsed.problem.id);
        return;
      }
      await this.handle(parsed.frame);
    });
  }

  private async handle(frame: ClientFrame): Promise<void> {
    if (this.closed || this.draining) return;
    switch (frame.type) {
      case 'subscribe':
        return this.subscribe(frame.channel, frame.since, frame.id);
      case 'unsubscribe':
        return this.unsubscribe(frame.channel, frame.id);
      case 'publish':
        return this.publish(frame.channel, frame.data, frame.id);
    }
  }

  private async subscribe(channel: string, since: string | undefined, id: string | undefined): Promise<void> {
    // Already subscribed: the subscription stands as it is (a `since` is ignored), and it is acked.
    if (this.channels.has(channel)) return this.ack(id);
    const limit = this.deps.config.maxSubscriptionsPerConnection;
    if (this.channels.size >= limit) {
      this.sendError('too_many_subscriptions', `a connection may subscribe to at most ${limit} channels`, id, channel);
      return;
    }
    let subscription: ClientChannel;
    try {
      subscription = await ClientChannel.open({
        channel,
        since,
        hub: this.deps.hub,
        bus: this.deps.bus,
        logger: this.logger,
        metrics: this.deps.metrics,
        forward: (frame) => this.deliver(frame),
        maxPending: MAX_HANDOVER_PENDING,
        // A client may have this much waiting in its socket anyway; held frames get the same bound.
        maxPendingBytes: this.deps.config.sendBufferLimitBytes,
      });
    } catch (error) {
      const { code, message } = busErrorCode(error);
      if (code === 'internal_error') this.logger.error({ channel, err: error }, 'subscribe failed');
      this.sendError(code, message, id, channel);
      return;
    }
    if (this.closed || this.draining) {
      subscription.close();
      return;
    }
    this.channels.set(channel, subscription);
    if (subscription.replayStart === 'truncated') {
      this.sendError(
        'position_expired',
        'some messages after "since" are no longer kept; delivery resumed at the oldest kept message',
        id,
        channel,
      );
    }
    this.ack(id);
  }

  private unsubscribe(channel: string, id: string | undefined): void {
    const subscription = this.channels.get(channel);
    if (subscription === undefined) {
      this.sendError('not_subscribed', `not subscribed to "${channel}"`, id, channel);
      return;
    }
    this.channels.delete(channel);
    subscription.close();
    this.ack(id);
  }

  private publish(channel: string, data: unknown, id: string | undefined): void {
    const answer = this.deps.bus.publish(channel, data).then(
      () => {
        this.deps.metrics.messagesPublished.inc();
        this.ack(id);
      },
      (error: unknown) => {
        const { code, message } = busErrorCode(error);
        if (code === 'internal_error') this.logger.error({ channel, err: error }, 'publish failed');
        this.sendError(code, message, id, channel);
      },
    );
    // A shutdown answers these before closing.
    this.publishing.add(answer);
    void answer.finally(() => this.publishing.delete(answer));
    this.track(answer);
  }

  /** Runs frame handlers one at a time, never letting one's failure reach the socket or the process. */
  private enqueue(task: () => Promise<void>): void {
    this.queue = this.queue.then(task).catch((error: unknown) => {
      this.logger.error({ err: error }, 'frame handler failed');
      this.sendError('internal_error', 'internal error', undefined);
    });
    this.track(this.queue);
  }

  private track(work: Promise<void>): void {
    this.pending += 1;
    if (!this.paused && this.pending >= this.deps.config.maxPendingFramesPerConnection) {
      this.paused = true;
      this.socket.pause();
    }
    void work.finally(() => {
      this.pending -= 1;
      if (this.paused && this.pending <= this.deps.config.maxPendingFramesPerConnection / 2) {
        this.paused = false;
        this.socket.resume();
      }
    });
  }

  private deliver(frame: string | Buffer): void {
    if (this.send(frame)) this.deps.metrics.messagesDelivered.inc();
  }

  private ack(id: string | undefined): void {
    if (id !== undefined) this.send(ackFrame(id));
  }

  private sendError(code: ErrorCode, message: string, id: string | undefined, channel?: string): void {
    this.deps.metrics.errors.inc({ code });
    this.send(errorFrame(code, message, id, channel));
  }

  /** Sends unless the client has fallen too far behind, in which case it is closed with 4008. */
  private send(frame: string | Buffer): boolean {
    if (this.closed || this.socket.readyState !== WebSocket.OPEN) return false;
    if (this.socket.bufferedAmount > this.deps.config.sendBufferLimitBytes) {
      this.logger.warn({ bufferedAmount: this.socket.bufferedAmount }, 'client too slow; closing');
      this.deps.metrics.disconnects.inc({ reason: 'send_buffer_full' });
      this.release();
      this.socket.close(CLOSE_CODES.sendBufferFull, 'send buffer full');
      return false;
    }
    // Frames sent in one tick (a batch read from the bus, the acks of one incoming chunk) leave in
    // one write: one syscall instead of one per frame. Corked bytes still count in bufferedAmount.
    if (!this.corked) {
      this.corked = true;
      this.raw.cork();
      process.nextTick(this.uncork);
    }
    if (typeof frame === 'string') this.socket.send(frame);
    else this.socket.send(frame, TEXT);
    this.deps.metrics.framesSent.inc();
    return true;
  }

  private readonly uncork = (): void => {
    this.corked = false;
    this.raw.uncork();
  };

  /** Ends all of this client's subscriptions and stops all sending; safe to call more than once. */
  private release(): void {
    if (this.closed) return;
    this.closed = true;
    this.releaseChannels();
  }

  private releaseChannels(): void {
    for (const subscription of this.channels.values()) subscription.close();
    this.channels.clear();
  }
}
