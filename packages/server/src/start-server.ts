import 'reflect-metadata';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Env, MessageBus } from '@app/core';
import type { Logger } from 'pino';
import type { DependencyContainer } from 'tsyringe';
import { loadUpgradeAuth } from './auth/upgrade-auth.js';
import { createBus } from './bus-factory.js';
import { loadConfig, type ServerConfig } from './config.js';
import { createServerContainer } from './container.js';
import { loadApiSettings } from './http/api-keys.js';
import { createLogger } from './logger.js';
import { ServerMetrics } from './metrics.js';
import { presenceSettings } from './presence/presence-settings.js';
import { createBusWhenReachable, listenOn, startingServer } from './starting-server.js';
import { BUS, LOGGER, WS_SERVER } from './tokens.js';
import type { WsServer } from './ws-server.js';

export interface StartServerOptions {
  /** Where configuration is read from. Default: `process.env`. Also handed to the driver. */
  readonly env?: Env;
  /** Values that win over `env`, e.g. `{ port: 0 }` in tests. */
  readonly config?: Partial<ServerConfig>;
  /** A bus to use instead of loading the `BUS` driver. The caller keeps ownership: `close()` leaves it open. */
  readonly bus?: MessageBus;
  /** Default: pino JSON logs to stdout at `LOG_LEVEL`. */
  readonly logger?: Logger;
  /**
   * Parts to use instead of the defaults: a tsyringe container (make one with
   * `container.createChildContainer()`) in which values or container-scoped classes are
   * registered under {@link tokens}: `CLOCK`, `CONNECTION_FACTORY`, `CHANNEL_FACTORY`,
   * `CHANNEL_HUB`, `PRESENCE_HUB`, `HTTP_ROUTES`, `LOGGER`, `BUS`. The server's own scope is a
   * child of it and registers a default only under a token it does not hold. A `BUS` or `LOGGER`
   * there wins over the `bus` and `logger` options; a `BUS` there stays open at `close()`, like
   * `bus`. Default: none, every part is the server's own.
   */
  readonly container?: DependencyContainer;
}

export interface RunningServer {
  readonly port: number;
  /** `http://host:port`; the WebSocket endpoint is `wsUrl`. */
  readonly url: string;
  readonly wsUrl: string;
  readonly config: ServerConfig;
  readonly bus: MessageBus;
  readonly metrics: ServerMetrics;
  /** The server's own scope (a child of the `container` option, if any): its parts resolve there under {@link tokens}. */
  readonly container: DependencyContainer;
  /** Graceful shutdown; closes the bus only if the server created it. */
  close(): Promise<void>;
}

function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

async function listenWhileBusStarts(config: ServerConfig, logger: Logger): Promise<Server> {
  const http = startingServer();
  await listenOn(http, config.port, config.host);
  const { port } = http.address() as AddressInfo;
  logger.info({ url: `http://${urlHost(config.host)}:${port}`, bus: config.bus }, 'connecting to the message bus; /readyz answers 503 until it is up');
  return http;
}

/** The part `parts` registers under `token`, if it does. */
function resolved<T>(parts: DependencyContainer | undefined, token: symbol): T | undefined {
  return parts?.isRegistered(token, true) === true ? parts.resolve<T>(token) : undefined;
}

/** Starts one server instance: the entry point for `main.ts`, tests and embedding. */
export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const env = options.env ?? process.env;
  const config: ServerConfig = { ...loadConfig(env), ...options.config };
  // `options.config` skips loadConfig's checks; this one spans two settings.
  presenceSettings(config);
  const parts = options.container;
  const logger = resolved<Logger>(parts, LOGGER) ?? options.logger ?? createLogger(config);
  // Before the bus: bad AUTH_* settings should fail the start without connecting anything.
  const auth = loadUpgradeAuth(env);
  if (auth === undefined) {
    logger.warn(
      { auth: 'none' },
      'AUTH IS OFF: no AUTH_SECRET, AUTH_PUBLIC_KEY_FILE or AUTH_JWKS_URL is set, so every client is anonymous and may subscribe and publish to any channel',
    );
  }
  // Before the bus too: a short or doubled API key stops the start.
  const api = loadApiSettings(env);
  const givenBus = resolved<MessageBus>(parts, BUS) ?? options.bus;
  const ownsBus = givenBus === undefined;
  // Listening before the bus is up: a load balancer sees a live process whose /readyz says 503
  // while the bus connects (for as long as that takes), not a refused port.
  const http = ownsBus ? await listenWhileBusStarts(config, logger) : undefined;
  let bus: MessageBus;
  try {
    bus = givenBus ?? (await createBusWhenReachable(() => createBus(config.bus, env, logger), logger));
  } catch (error) {
    http?.close();
    throw error;
  }
  const metrics = new ServerMetrics();
  const container = createServerContainer({ config, logger, metrics, bus, auth: auth === undefined ? {} : { auth }, api, ...(http === undefined ? {} : { http }) }, parts);
  const server = container.resolve<WsServer>(WS_SERVER);
  let port: number;
  try {
    port = (await server.listen()).port;
  } catch (error) {
    if (ownsBus) await bus.close();
    throw error;
  }
  const url = `http://${urlHost(config.host)}:${port}`;
  logger.info({ url, wsPath: '/ws', driver: bus.driver, features: [...bus.features], ...(bus.security === undefined ? {} : { security: bus.security }) }, 'server listening');
  return {
    port,
    url,
    wsUrl: `${url.replace(/^http/, 'ws')}/ws`,
    config,
    bus,
    metrics,
    container,
    close: () => server.close({ closeBus: ownsBus }),
  };
}
