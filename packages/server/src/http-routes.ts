import 'reflect-metadata';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { inject, injectable } from 'tsyringe';
import { describeError, type MessageBus } from '@app/core';
import type { Logger } from 'pino';
import type { ServerConfig } from './config.js';
import { demoScript } from './demo-bundle.js';
import { consolePage, gamePage, type HtmlPage } from './demo-page.js';
import type { ApiSettings } from './http/api-keys.js';
import { API_PUBLISH_PATH, ApiPublishRoute } from './http/api-publish.js';
import { unauthorized } from './http/bearer-check.js';
import { reply, replyJson } from './http/reply.js';
import { pageSecurityHeaders } from './http/security-headers.js';
import { ServerMetrics } from './metrics.js';
import { API, BUS, CONFIG, LOGGER, METRICS } from './tokens.js';

type Route = (request: IncomingMessage, response: ServerResponse) => void | Promise<void>;

/** The plain HTTP side of the port: demo page, health, readiness, metrics, and the publish API. */
@injectable()
export class HttpRoutes {
  private draining = false;
  /** GET (and HEAD) routes. */
  private readonly routes: ReadonlyMap<string, Route>;
  private readonly publish: ApiPublishRoute;

  constructor(
    @inject(CONFIG) config: ServerConfig,
    @inject(BUS) private readonly bus: MessageBus,
    @inject(METRICS) private readonly metrics: ServerMetrics,
    @inject(LOGGER) private readonly logger: Logger,
    @inject(API) private readonly api: ApiSettings,
  ) {
    const game = gamePage(config.demoUrls);
    this.routes = new Map<string, Route>([
      ['/', (_request, response) => this.page(response, game)],
      ['/console', (_request, response) => this.page(response, consolePage())],
      ['/demo.js', async (_request, response) => reply(response, 200, 'text/javascript; charset=utf-8', await demoScript())],
      ['/healthz', (_request, response) => replyJson(response, 200, { status: 'ok' })],
      ['/readyz', (_request, response) => this.ready(response)],
      ['/metrics', (request, response) => this.metricsText(request, response)],
    ]);
    this.publish = new ApiPublishRoute({ bus, metrics, logger, keys: api.keys, maxBodyBytes: config.maxFrameBytes });
  }

  /** From now on `/readyz` answers 503 so load balancers stop sending new clients. */
  markDraining(): void {
    this.draining = true;
  }

  handle(request: IncomingMessage, response: ServerResponse): void {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path === API_PUBLISH_PATH) {
      this.run(path, request, response, (req, res) => this.publish.handle(req, res));
      return;
    }
    const route = this.routes.get(path);
    if (route === undefined) {
      replyJson(response, 404, { error: 'not_found', message: `no route for ${path}; try /, /ws, /healthz, /readyz, /metrics or POST ${API_PUBLISH_PATH}` });
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      replyJson(response, 405, { error: 'method_not_allowed', message: `${path} only answers GET` }, { allow: 'GET, HEAD' });
      return;
    }
    this.run(path, request, response, route);
  }

  private run(path: string, request: IncomingMessage, response: ServerResponse, route: Route): void {
    Promise.resolve(route(request, response)).catch((error: unknown) => {
      this.logger.error({ path, err: describeError(error) }, 'http route failed');
      if (!response.headersSent) replyJson(response, 500, { error: 'internal_error', message: 'internal error' });
      else response.end();
    });
  }

  private page(response: ServerResponse, page: HtmlPage): void {
    reply(response, 200, 'text/html; charset=utf-8', page.html, pageSecurityHeaders(page.contentSecurityPolicy));
  }

  private ready(response: ServerResponse): void {
    const status = this.bus.status();
    // How the bus reaches its backend (e.g. SASL_SSL with scram-sha-512), never a credential.
    const security = this.bus.security === undefined ? {} : { security: this.bus.security };
    if (this.draining) replyJson(response, 503, { status: 'shutting_down', bus: status, ...security });
    else replyJson(response, status === 'ready' ? 200 : 503, { status, bus: status, ...security });
  }

  private async metricsText(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const keys = this.api.keys;
    if (this.api.metricsRequireKey && keys !== undefined) {
      const denied = unauthorized(keys, request.headers.authorization);
      if (denied !== undefined) {
        this.logger.debug({ path: '/metrics', status: 401, remote: request.socket.remoteAddress }, 'metrics refused');
        replyJson(response, 401, { error: 'unauthorized', message: denied.message }, denied.headers);
        return;
      }
    }
    const text = await this.metrics.registry.metrics();
    reply(response, 200, this.metrics.registry.contentType, text);
  }
}
