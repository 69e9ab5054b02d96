import 'reflect-metadata';
import type { Server } from 'node:http';
import { Lifecycle, container, type DependencyContainer, type InjectionToken } from 'tsyringe';
import type { MessageBus } from '@app/core';
import type { Logger } from 'pino';
import type { AuthMode } from './auth/upgrade-auth.js';
import { HubChannelFactory } from './channel-factory.js';
import { ChannelHub } from './channel-hub.js';
import { systemClock } from './clock.js';
import type { ServerConfig } from './config.js';
import { SocketConnectionFactory } from './connection-factory.js';
import { API_OFF, type ApiSettings } from './http/api-keys.js';
import { HttpRoutes } from './http-routes.js';
import type { ServerMetrics } from './metrics.js';
import { PresenceHub } from './presence/presence-hub.js';
import {
  API, AUTH, BUS, CHANNEL_FACTORY, CHANNEL_HUB, CLOCK, CONFIG, CONNECTION_FACTORY, HTTP_ROUTES, HTTP_SERVER, LOGGER, METRICS, PRESENCE_HUB, WS_SERVER,
} from './tokens.js';
import { WsServer } from './ws-server.js';
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

type Part = new (...args: never[]) => unknown;

/**
 * The parts a caller may replace, with their defaults. Each is one per server (container-scoped),
 * so several servers in one process never share a hub or a factory by accident.
 */
const DEFAULT_PARTS: readonly (readonly [InjectionToken, Part])[] = [
  [CHANNEL_HUB, ChannelHub],
  [PRESENCE_HUB, PresenceHub],
  [HTTP_ROUTES, HttpRoutes],
  [CHANNEL_FACTORY, HubChannelFactory],
  [CONNECTION_FACTORY, SocketConnectionFactory],
  [WS_SERVER, WsServer],
];

/**
 * A server's own scope: a child of `parts` (default: tsyringe's root container), holding what
 * this start computed (config, metrics, auth, API keys, HTTP server, and the bus and logger unless
 * `parts` has them) and the default of each part `parts` does not register: the clock, the
 * channel hub, the presence hub, the HTTP routes, the channel and connection factories, the
 * WebSocket server. A test swaps a part by registering it in a child container it passes here.
 */
export function createServerContainer(dependencies: ServerDependencies, parts: DependencyContainer = container): DependencyContainer {
  const scope = parts.createChildContainer();
  const missing = (token: InjectionToken): boolean => !parts.isRegistered(token, true);
  scope.register(CONFIG, { useValue: dependencies.config });
  scope.register(METRICS, { useValue: dependencies.metrics });
  if (missing(LOGGER)) scope.register(LOGGER, { useValue: dependencies.logger });
  if (missing(BUS)) scope.register(BUS, { useValue: dependencies.bus });
  if (missing(CLOCK)) scope.register(CLOCK, { useValue: systemClock });
  // A wrapper object: tsyringe refuses `useValue: undefined`, and "no auth" must still resolve.
  scope.register(AUTH, { useValue: dependencies.auth ?? {} });
  scope.register(API, { useValue: dependencies.api ?? API_OFF });
  scope.register(HTTP_SERVER, { useValue: dependencies.http ?? startingServer() });
  for (const [token, part] of DEFAULT_PARTS) {
    if (missing(token)) scope.register(token, { useClass: part as new () => unknown }, { lifecycle: Lifecycle.ContainerScoped });
  }
  return scope;
}
