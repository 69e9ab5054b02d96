import 'reflect-metadata';
import type { Server } from 'node:http';
import { Lifecycle, container, type DependencyContainer } from 'tsyringe';
import type { MessageBus } from '@app/core';
import type { Logger } from 'pino';
import { ChannelHub } from './channel-hub.js';
import type { ServerConfig } from './config.js';
import { API_OFF, type ApiSettings } from './http/api-keys.js';
import { HttpRoutes } from './http-routes.js';
import type { ServerMetrics } from './metrics.js';
import { PresenceHub } from './presence/presence-hub.js';
import { API, AUTH, BUS, CHANNEL_HUB, CONFIG, HTTP_ROUTES, LOGGER, METRICS, PRESENCE_HUB, HTTP_SERVER, WS_SERVER } from './tokens.js';
import { WsServer, type AuthMode } from './ws-server.js';
import { startingServer } from './starting-server.js';

export interface ServerDependencies {
  readonly config: ServerConfig;
  readonly logger: Logger;
  readonly metrics: ServerMetrics;
  readonly bus: MessageBus;
  /** Default: anonymous, no token checked. */
  readonly auth?: AuthMode;
  /** Default: no API keys, so `/api/publish` answers 404 and `/metrics` is open. */
  readonly api?: ApiSettings;
  /** The HTTP server, possibly listening already (see starting-server.ts). Default: a new one, listened on by `WsServer.listen`. */
  readonly http?: Server;
}

/**
 * A child container per server, so several servers (tests, embedding) live side by side in one
 * process without sharing a hub, metrics or bus by accident.
 */
export function createServerContainer(dependencies: ServerDependencies): DependencyContainer {
  const scope = container.createChildContainer();
  scope.register(CONFIG, { useValue: dependencies.config });
  scope.register(LOGGER, { useValue: dependencies.logger });
  scope.register(METRICS, { useValue: dependencies.metrics });
  scope.register(BUS, { useValue: dependencies.bus });
  // A wrapper object: tsyringe refuses `useValue: undefined`, and "no auth" must still resolve.
  scope.register(AUTH, { useValue: dependencies.auth ?? {} });
  scope.register(API, { useValue: dependencies.api ?? API_OFF });
  scope.register(HTTP_SERVER, { useValue: dependencies.http ?? startingServer() });
  scope.register(CHANNEL_HUB, { useClass: ChannelHub }, { lifecycle: Lifecycle.ContainerScoped });
  scope.register(PRESENCE_HUB, { useClass: PresenceHub }, { lifecycle: Lifecycle.ContainerScoped });
  scope.register(HTTP_ROUTES, { useClass: HttpRoutes }, { lifecycle: Lifecycle.ContainerScoped });
  scope.register(WS_SERVER, { useClass: WsServer }, { lifecycle: Lifecycle.ContainerScoped });
  return scope;
}
