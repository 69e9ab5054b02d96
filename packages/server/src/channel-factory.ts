import 'reflect-metadata';
import { inject, injectable } from 'tsyringe';
import type { MessageBus, ReplayStart } from '@app/core';
import type { Logger } from 'pino';
import type { ChannelHub } from './channel-hub.js';
import { ClientChannel } from './client-channel.js';
import type { ServerConfig } from './config.js';
import type { ServerMetrics } from './metrics.js';
import type { HandoverSink } from './replay-handover.js';
import { BUS, CHANNEL_HUB, CONFIG, METRICS } from './tokens.js';

/** Shared messages a recovering client may hold while its replay catches up. */
const MAX_HANDOVER_PENDING = 10_000;

/** A client's channel resumed with `since`, as its connection holds it. */
export interface ResumedChannel {
  /** How the replay started: `exact`, or `truncated` when the bus no longer kept everything after `since`. */
  readonly replayStart: ReplayStart;
  /** Stops delivery to the client at once; the bus side is released in the background. Idempotent. */
  close(): void;
}

/** What a connection asks for when a client subscribes with `since`. */
export interface ChannelRequest {
  readonly channel: string;
  /** Position to resume after, as the client sent it. */
  readonly since: string;
  /** The connection's logger. */
  readonly logger: Logger;
  /** Where the channel's message frames go. */
  readonly sink: HandoverSink;
  /** Called once when the channel can no longer promise every message (see ClientChannelOptions.onGap). */
  readonly onGap: () => void;
}

/** How a client's channel resumed with `since` is made (registered under `tokens.CHANNEL_FACTORY`). */
export interface ChannelFactory {
  /**
   * Resolves once the client gets the replay after `since` and then every later message.
   * Rejects with the bus's error when the replay cannot start (`invalid_position`,
   * `unsupported`, `not_connected`, ...).
   */
  open(request: ChannelRequest): Promise<ResumedChannel>;
}

/** The default: a ClientChannel on the instance's hub and bus, its handover bounded by the send buffer limit. */
@injectable()
export class HubChannelFactory implements ChannelFactory {
  constructor(
    @inject(CHANNEL_HUB) private readonly hub: ChannelHub,
    @inject(BUS) private readonly bus: MessageBus,
    @inject(METRICS) private readonly metrics: ServerMetrics,
    @inject(CONFIG) private readonly config: ServerConfig,
  ) {}

  open(request: ChannelRequest): Promise<ResumedChannel> {
    return ClientChannel.open({
      ...request,
      hub: this.hub,
      bus: this.bus,
      metrics: this.metrics,
      maxPending: MAX_HANDOVER_PENDING,
      // A client may have this much waiting in its socket anyway; held frames get the same bound.
      maxPendingBytes: this.config.sendBufferLimitBytes,
    });
  }
}
