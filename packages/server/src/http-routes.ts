import 'reflect-metadata';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { inject, injectable } from 'tsyringe';
import { describeError, type MessageBus } from '@app/core';
import type { Logger } from 'pino';
import { demoPage } from './demo-page.js';
import { ServerMetrics } from './metrics.js';
import { BUS, LOGGER, METRICS } from './tokens.js';

type Route = (response: ServerResponse) => void | Promise<void>;

/** The plain HTTP side of the port: demo page, health, readiness, metrics. */
@injectable()
export class HttpRoutes {
  private draining = false;
  private readonly routes: ReadonlyMap<string, Route>;

  constructor(
    @inject(BUS) private readonly bus: MessageBus,
    @inject(METRICS) private readonly metrics: ServerMetrics,
    @inject(LOGGER) private readonly logger: Logger,
  ) {
    this.routes = new Map<string, Route>([
      ['/', (response) => this.reply(response, 200, 'text/html; charset=utf-8', demoPage())],
      ['/healthz', (response) => this.json(response, 200, { status: 'ok' })],
      ['/readyz', (response) => this.ready(response)],
      ['/metrics', (response) => this.metricsText(response)],
    ]);
  }

  /** From now on `/readyz` answers 503 so load balancers stop sending new clients. */
  markDraining(): void {
    this.draining = true;
  }

  handle(request: IncomingMessage, response: ServerResponse): void {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const route = this.routes.get(path);
    if (route === undefined) {
      this.json(response, 404, { error: 'not_found', message: `no route for ${path}; try /, /ws, /healthz, /readyz or /metrics` });
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      this.json(response, 405, { error: 'method_not_allowed', message: `${path} only answers GET` });
      return;
    }
    Promise.resolve(route(response)).catch((error: unknown) => {
      this.logger.error({ path, err: describeError(error) }, 'http route failed');
      if (!response.headersSent) this.json(response, 500, { error: 'internal_error' });
      else response.end();
    });
  }

  private ready(response: ServerResponse): void {
    const status = this.bus.status();
    if (this.draining) this.json(response, 503, { status: 'shutting_down', bus: status });
    else this.json(response, status === 'ready' ? 200 : 503, { status, bus: status });
  }

  private async metricsText(response: ServerResponse): Promise<void> {
    const text = await this.metrics.registry.metrics();
    this.reply(response, 200, this.metrics.registry.contentType, text);
  }

  private json(response: ServerResponse, status: number, body: object): void {
    this.reply(response, status, 'application/json; charset=utf-8', JSON.stringify(body));
  }

  private reply(response: ServerResponse, status: number, contentType: string, body: string): void {
    response.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
    response.end(body);
  }
}
