import 'reflect-metadata';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { inject, injectable } from 'tsyringe';
import { describeError, type MessageBus } from '@app/core';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { ChannelHub } from './channel-hub.js';
import type { ServerConfig } from './config.js';
import { Connection } from './connection.js';
import { HttpRoutes } from './http-routes.js';
import { ServerMetrics } from './metrics.js';
import { BUS, CHANNEL_HUB, CONFIG, HTTP_ROUTES, LOGGER, METRICS } from './tokens.js';

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

  constructor(
    @inject(CONFIG) private readonly config: ServerConfig,
    @inject(LOGGER) private readonly logger: Logger,
    @inject(METRICS) private readonly metrics: ServerMetrics,
    @inject(BUS) private readonly bus: MessageBus,
    @inject(CHANNEL_HUB) private readonly hub: ChannelHub,
    @inject(HTTP_ROUTES) private readonly routes: HttpRoutes,
  ) {
    this.http = createServer((request, response) => this.routes.handle(request, response));
    // ws enforces maxPayload while reading and closes with 1009, so an oversize frame is never buffered whole.
    this.wss = new WebSocketServer({ noServer: true, maxPayload: config.maxFrameBytes, clientTracking: false });
    this.wss.on('error', (error) => this.logger.error({ err: describeError(error) }, 'websocket server error'));
    this.http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(request, socket, head));
  }

  /** Starts listening; resolves with the bound address (useful with PORT=0). */
  async listen(): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      this.http.once('error', onError);
      this.http.listen(this.config.port, this.config.host, () => {
        this.http.off('error', onError);
        resolve();
      });
    });
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
    const httpClosed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.http.closeIdleConnections();
    const open = [...this.connections];
    this.logger.info({ connections: open.length }, 'closing client connections');
    for (const connection of open) connection.shutdown(ANSWER_GRACE_MS);
    const grace = new Promise<void>((resolve) => setTimeout(resolve, ANSWER_GRACE_MS + CLOSE_GRACE_MS).unref());
    await Promise.race([Promise.all(open.map((connection) => connection.done)), grace]);
    for (const connection of this.connections) connection.terminate();
    await this.hub.close();
    if (options.closeBus) {
      this.logger.info({ driver: this.bus.driver }, 'closing message bus');
      await this.bus.close();
    }
    this.http.closeAllConnections();
    await httpClosed;
  }

  private upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', (error) => this.logger.debug({ err: describeError(error) }, 'upgrade socket error'));
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path !== WS_PATH) {
      this.refuse(socket, 404, 'Not Found');
      return;
    }
    if (this.closing !== undefined) {
      this.refuse(socket, 503, 'Service Unavailable');
      return;
    }
    this.wss.handleUpgrade(request, socket, head, (webSocket) => this.accept(webSocket, request, socket));
  }

  private refuse(socket: Duplex, status: number, text: string): void {
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${text.length}\r\n\r\n${text}`);
  }

  private accept(webSocket: WebSocket, request: IncomingMessage, socket: Duplex): void {
    this.connectionCount += 1;
    const id = `${this.config.instanceId}/${this.connectionCount}`;
    const deps = { config: this.config, logger: this.logger, metrics: this.metrics, bus: this.bus, hub: this.hub };
    const connection = new Connection(webSocket, socket, deps, id);
    this.connections.add(connection);
    this.metrics.connections.inc();
    this.logger.debug({ connection: id, remote: request.socket.remoteAddress }, 'client connected');
    void connection.done.then(() => {
      this.connections.delete(connection);
      this.metrics.connections.dec();
    });
    // A shutdown that began during the handshake must not leave this client behind.
    if (this.closing !== undefined) connection.shutdown(ANSWER_GRACE_MS);
  }

  private heartbeat(): void {
    for (const connection of this.connections) connection.heartbeat();
  }
}
