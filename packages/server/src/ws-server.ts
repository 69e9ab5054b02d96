import 'reflect-metadata';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { inject, injectable } from 'tsyringe';
import { describeError, type MessageBus } from '@app/core';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AuthMode, ConnectionIdentity, UpgradeAuth } from './auth/upgrade-auth.js';
import { refuseUnauthorized, refuseUpgrade, selectProtocol, type UpgradeRefusal } from './auth/upgrade-response.js';
import { redactTokenFromUrl } from './auth/token-extraction.js';
import { ChannelHub } from './channel-hub.js';
import type { ServerConfig } from './config.js';
import type { Connection } from './connection.js';
import type { ConnectionFactory } from './connection-factory.js';
import { HttpRoutes } from './http-routes.js';
import { ConnectionLimit, TOO_MANY_CONNECTIONS } from './limits/connection-limit.js';
import { OriginPolicy, originNotAllowed } from './limits/origin-policy.js';
import { RAW_SECURITY_HEADER_LINES } from './http/security-headers.js';
import { ServerMetrics } from './metrics.js';
import { PresenceHub } from './presence/presence-hub.js';
import { handOver, listenOn } from './starting-server.js';
import { AUTH, BUS, CHANNEL_HUB, CONFIG, CONNECTION_FACTORY, HTTP_ROUTES, HTTP_SERVER, LOGGER, METRICS, PRESENCE_HUB } from './tokens.js';

/** The WebSocket endpoint; every other path is refused on upgrade. */
export const WS_PATH = '/ws';

/** How long clients get to answer the 1001 close at shutdown before their sockets are dropped. */
const CLOSE_GRACE_MS = 2000;
/** How long publishes already with the bus get to be answered at shutdown, before the 1001 close. */
const ANSWER_GRACE_MS = 2000;

export interface CloseOptions {
  /** Also close the bus (flushing pending publishes). True when the server created the bus. */
  readonly closeBus: boolean;
}

/** One instance: the HTTP server, the WebSocket endpoint on `/ws`, heartbeats and shutdown. */
@injectable()
export class WsServer {
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly connections = new Set<Connection>();
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;
  private connectionCount = 0;
  private readonly origins: OriginPolicy;
  private readonly limit: ConnectionLimit;

  constructor(
    @inject(CONFIG) private readonly config: ServerConfig,
    @inject(LOGGER) private readonly logger: Logger,
    @inject(METRICS) private readonly metrics: ServerMetrics,
    @inject(BUS) private readonly bus: MessageBus,
    @inject(CHANNEL_HUB) private readonly hub: ChannelHub,
    @inject(PRESENCE_HUB) private readonly presence: PresenceHub,
    @inject(HTTP_ROUTES) private readonly routes: HttpRoutes,
    @inject(AUTH) private readonly authMode: AuthMode,
    @inject(HTTP_SERVER) http: Server,
    @inject(CONNECTION_FACTORY) private readonly connectionFactory: ConnectionFactory,
  ) {
    // Served by the start-up answers until now (see starting-server.ts): from here on, by the routes.
    handOver(http);
    http.on('request', (request: IncomingMessage, response: ServerResponse) => this.routes.handle(request, response));
    this.http = http;
    // ws enforces maxPayload while reading and closes with 1009, so an oversize frame is never buffered whole.
    // No extensions: message frames are framed once per instance and written as is (see ws-frame.ts).
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: config.maxFrameBytes,
      clientTracking: false,
      perMessageDeflate: false,
      handleProtocols: (protocols) => selectProtocol(protocols),
    });
    this.origins = new OriginPolicy(config.allowedOrigins);
    this.limit = new ConnectionLimit(config.maxConnections);
    this.wss.on('error', (error) => this.logger.error({ err: describeError(error) }, 'websocket server error'));
    this.http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(request, socket, head));
  }

  /** Starts listening; resolves with the bound address (useful with PORT=0). */
  async listen(): Promise<AddressInfo> {
    // Already listening when the port answered 503 while the bus started (startServer does that).
    if (!this.http.listening) await listenOn(this.http, this.config.port, this.config.host);
    this.http.on('error', (error) => this.logger.error({ err: describeError(error) }, 'http server error'));
    this.heartbeatTimer = setInterval(() => this.heartbeat(), this.config.heartbeatIntervalMs);
    this.heartbeatTimer.unref();
    return this.http.address() as AddressInfo;
  }

  /** Open client connections. */
  get connectionsOpen(): number {
    return this.connections.size;
  }

  /**
   * Graceful stop: refuse new connections, close clients with 1001, end the shared subscriptions,
   * then close the bus if asked (which waits for publishes already accepted). Idempotent.
   */
  close(options: CloseOptions): Promise<void> {
    this.closing ??= this.shutdown(options);
    return this.closing;
  }

  private async shutdown(options: CloseOptions): Promise<void> {
    this.routes.markDraining();
    clearInterval(this.heartbeatTimer);
    // Before the clients go: one `bye` per channel tells the other instances, not a `leave` per user.
    const presenceClosed = this.presence.close();
    const httpClosed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.http.closeIdleConnections();
    const open = [...this.connections];
    this.logger.info({ connections: open.length }, 'closing client connections');
    for (const connection of open) connection.shutdown(ANSWER_GRACE_MS);
    const grace = new Promise<void>((resolve) => setTimeout(resolve, ANSWER_GRACE_MS + CLOSE_GRACE_MS).unref());
    await Promise.race([Promise.all(open.map((connection) => connection.whenClosed())), grace]);
    for (const connection of this.connections) connection.terminate();
    await this.hub.close();
    await presenceClosed;
    if (options.closeBus) {
      this.logger.info({ driver: this.bus.driver }, 'closing message bus');
      await this.bus.close();
    }
    this.http.closeAllConnections();
    await httpClosed;
  }

  private upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', this.onUpgradeError);
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path !== WS_PATH) {
      this.refuse(socket, 404, 'Not Found');
      return;
    }
    if (this.closing !== undefined) {
      this.refuse(socket, 503, 'Service Unavailable');
      return;
    }
    // Both before the token is verified: neither costs a verification, and a foreign origin takes no slot.
    const origin = request.headers.origin;
    if (!this.origins.allows(origin)) {
      this.refuseWith(request, socket, originNotAllowed(origin ?? ''));
      return;
    }
    // Held from here, through the token check, until the socket ends (see ConnectionLimit).
    if (!this.limit.acquire(socket)) {
      this.refuseWith(request, socket, TOO_MANY_CONNECTIONS);
      return;
    }
    const auth = this.authMode.auth;
    if (auth === undefined) {
      this.wss.handleUpgrade(request, socket, head, (webSocket) => this.accept(webSocket, request, socket, undefined));
      return;
    }
    void this.authenticate(auth, request, socket, head);
  }

  /** Verifies the token before the WebSocket exists: a refused client gets a 401, never a 101. */
  private async authenticate(auth: UpgradeAuth, request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    let verdict: Awaited<ReturnType<UpgradeAuth['check']>>;
    try {
      verdict = await auth.check(request);
    } catch (error) {
      this.logger.error({ err: describeError(error) }, 'token check failed');
      this.refuse(socket, 500, 'Internal Server Error');
      return;
    }
    // The client may have gone, or a shutdown begun, while the token was checked.
    if (socket.destroyed) return;
    if (!verdict.ok) {
      this.metrics.upgradesRefused.inc({ reason: verdict.reason });
      if (this.logger.isLevelEnabled('debug')) {
        this.logger.debug({ reason: verdict.reason, url: redactTokenFromUrl(request.url ?? ''), remote: request.socket.remoteAddress }, 'upgrade refused');
      }
      refuseUnauthorized(socket, verdict.reason, verdict.message);
      return;
    }
    if (this.closing !== undefined) {
      this.refuse(socket, 503, 'Service Unavailable');
      return;
    }
    const identity = verdict.identity;
    this.wss.handleUpgrade(request, socket, head, (webSocket) => this.accept(webSocket, request, socket, identity));
  }

  /** One shared listener, not a closure per upgrade: a closure here would keep the request alive for the connection's life. */
  private readonly onUpgradeError = (error: Error): void => {
    this.logger.debug({ err: describeError(error) }, 'upgrade socket error');
  };

  private refuse(socket: Duplex, status: number, text: string): void {
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\n${RAW_SECURITY_HEADER_LINES}Content-Length: ${text.length}\r\n\r\n${text}`);
  }

  /** A refusal that is not about the token (those are counted in `authenticate`): counted, logged at debug, answered as JSON. */
  private refuseWith(request: IncomingMessage, socket: Duplex, refusal: UpgradeRefusal): void {
    this.metrics.upgradesRefused.inc({ reason: refusal.error });
    if (this.logger.isLevelEnabled('debug')) this.logger.debug({ reason: refusal.error, origin: request.headers.origin, remote: request.socket.remoteAddress }, 'upgrade refused');
    refuseUpgrade(socket, refusal);
  }

  private accept(webSocket: WebSocket, request: IncomingMessage, socket: Duplex, identity: ConnectionIdentity | undefined): void {
    // From here ws handles the socket's errors.
    socket.off('error', this.onUpgradeError);
    this.connectionCount += 1;
    const connection = this.connectionFactory.create({ ws: webSocket, raw: socket, serial: this.connectionCount, identity, onClosed: this.onClosed });
    this.connections.add(connection);
    this.metrics.connections.inc();
    if (this.logger.isLevelEnabled('debug')) this.logger.debug({ connection: connection.id, remote: request.socket.remoteAddress, sub: identity?.sub }, 'client connected');
    // A shutdown that began during the handshake must not leave this client behind.
    if (this.closing !== undefined) connection.shutdown(ANSWER_GRACE_MS);
  }

  /** One function for every connection, not a closure each. */
  private readonly onClosed = (connection: Connection): void => {
    if (this.connections.delete(connection)) this.metrics.connections.dec();
  };

  private heartbeat(): void {
    for (const connection of this.connections) connection.heartbeat();
  }
}
