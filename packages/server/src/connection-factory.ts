import 'reflect-metadata';
import type { Duplex } from 'node:stream';
import { inject, injectable } from 'tsyringe';
import type { MessageBus } from '@app/core';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { AuthMode } from './auth/upgrade-auth.js';
import type { ChannelFactory } from './channel-factory.js';
import type { ChannelHub } from './channel-hub.js';
import { ClientSocket, type SendPolicy } from './client-socket.js';
import type { Clock } from './clock.js';
import type { ServerConfig } from './config.js';
import type { ConnectionDeps } from './connection-deps.js';
import { Connection, type ConnectionOrigin } from './connection.js';
import { FlushScheduler } from './flush-scheduler.js';
import type { ServerMetrics } from './metrics.js';
import type { PresenceHub } from './presence/presence-hub.js';
import { welcomeFrame } from './server-frames.js';
import { AUTH, BUS, CHANNEL_FACTORY, CHANNEL_HUB, CLOCK, CONFIG, LOGGER, METRICS, PRESENCE_HUB } from './tokens.js';

/** A socket the server accepted (its upgrade and token check passed), waiting for its Connection. */
export interface AcceptedSocket extends ConnectionOrigin {
  readonly ws: WebSocket;
  /** The TCP (or TLS) socket under `ws`. */
  readonly raw: Duplex;
}

/** How a Connection is made for an accepted socket (registered under `tokens.CONNECTION_FACTORY`). */
export interface ConnectionFactory {
  /** Makes the connection, which sends the welcome frame at once. Throws only on a bug. */
  create(accepted: AcceptedSocket): Connection;
}

/**
 * The default: a Connection over a ClientSocket with the server's send policy, all connections
 * sharing one {@link deps} object. A test factory can build on {@link socketFor} and {@link deps}.
 */
@injectable()
export class SocketConnectionFactory implements ConnectionFactory {
  /** What every connection of this server shares. */
  readonly deps: ConnectionDeps;
  private readonly sendPolicy: SendPolicy;

  constructor(
    @inject(CONFIG) config: ServerConfig,
    @inject(LOGGER) logger: Logger,
    @inject(METRICS) metrics: ServerMetrics,
    @inject(BUS) bus: MessageBus,
    @inject(CHANNEL_HUB) hub: ChannelHub,
    @inject(PRESENCE_HUB) presence: PresenceHub,
    @inject(AUTH) authMode: AuthMode,
    @inject(CLOCK) clock: Clock,
    @inject(CHANNEL_FACTORY) channels: ChannelFactory,
  ) {
    this.sendPolicy = {
      limitBytes: config.sendBufferLimitBytes,
      tick: new FlushScheduler(0),
      window: new FlushScheduler(config.sendCoalesceMs),
    };
    const welcome = welcomeFrame({
      instance: config.instanceId,
      driver: bus.driver,
      maxFrameBytes: config.maxFrameBytes,
      maxSubscriptions: config.maxSubscriptionsPerConnection,
    });
    this.deps = { config, logger, metrics, bus, hub, presence, auth: authMode.auth, welcome, clock, channels };
  }

  create(accepted: AcceptedSocket): Connection {
    return new Connection(this.socketFor(accepted), this.deps, accepted);
  }

  /** The outgoing side of an accepted socket, with this server's send policy. */
  socketFor(accepted: AcceptedSocket): ClientSocket {
    return new ClientSocket(accepted.ws, accepted.raw, this.sendPolicy);
  }
}
