import type { IncomingMessage, ServerResponse } from 'node:http';
import { describeError, isBusError, type MessageBus } from '@app/core';
import type { Logger } from 'pino';
import { busErrorCode } from '../bus-error-code.js';
import type { ServerMetrics } from '../metrics.js';
import type { ApiKeys } from './api-keys.js';
import { unauthorized } from './bearer-check.js';
import { parsePublishBody } from './publish-body.js';
import { readBody } from './read-body.js';
import { replyJson, type ExtraHeaders } from './reply.js';

export const API_PUBLISH_PATH = '/api/publish';

export interface ApiPublishDeps {
  readonly bus: MessageBus;
  readonly metrics: ServerMetrics;
  readonly logger: Logger;
  /** `undefined`: no key is configured and the route answers 404 `api_disabled`. */
  readonly keys: ApiKeys | undefined;
  /** `MAX_FRAME_BYTES`: an API publish is held to the same size as a WebSocket frame. */
  readonly maxBodyBytes: number;
}

/** One answer of the route: status, JSON body (`{id, position}` or `{error, message}`), extra headers. */
interface Answer {
  readonly status: number;
  readonly body: { readonly error: string; readonly message: string } | { readonly id: string; readonly position: string | null };
  readonly headers?: ExtraHeaders;
}

function refusal(status: number, error: string, message: string, headers?: ExtraHeaders): Answer {
  return headers === undefined ? { status, body: { error, message } } : { status, body: { error, message }, headers };
}

/** `application/json`, with no charset or `charset=utf-8`: the body is decoded as UTF-8 and nothing else. */
function isJsonContentType(header: string | undefined): boolean {
  if (header === undefined) return false;
  const [type = '', ...parameters] = header.split(';').map((part) => part.trim().toLowerCase());
  if (type !== 'application/json') return false;
  return parameters.every((parameter) => !parameter.startsWith('charset=') || /^charset="?utf-8"?$/.test(parameter));
}

/**
 * `POST /api/publish`: a backend (a game server) publishes an authoritative event with a bearer
 * API key, without a WebSocket. Each call is counted in `realtime_api_publishes_total{result}`;
 * each refusal is logged at debug, never with the key or the `Authorization` header.
 */
export class ApiPublishRoute {
  constructor(private readonly deps: ApiPublishDeps) {}

  async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const answer = await this.answer(request);
    if (answer === undefined) return;
    const result = 'error' in answer.body ? answer.body.error : 'ok';
    this.deps.metrics.apiPublishes.inc({ result });
    if (answer.status !== 200 && this.deps.logger.isLevelEnabled('debug')) {
      this.deps.logger.debug({ path: API_PUBLISH_PATH, status: answer.status, error: result, remote: request.socket.remoteAddress }, 'api publish refused');
    }
    replyJson(response, answer.status, answer.body, answer.headers);
  }

  /** The answer to give, or `undefined` when the client went away mid-body and nobody is left to answer. */
  private async answer(request: IncomingMessage): Promise<Answer | undefined> {
    const { keys, maxBodyBytes } = this.deps;
    if (keys === undefined) {
      return refusal(404, 'api_disabled', 'the HTTP API is off: set API_KEYS (comma-separated keys of at least 16 characters) to turn it on');
    }
    if (request.method !== 'POST') {
      return refusal(405, 'method_not_allowed', `${API_PUBLISH_PATH} only answers POST`, { allow: 'POST' });
    }
    const denied = unauthorized(keys, request.headers.authorization);
    if (denied !== undefined) return refusal(401, 'unauthorized', denied.message, denied.headers);
    if (!isJsonContentType(request.headers['content-type'])) {
      return refusal(415, 'unsupported_media_type', 'send the body as Content-Type: application/json (UTF-8)');
    }
    const read = await readBody(request, maxBodyBytes);
    if (!read.ok) {
      if (read.reason === 'aborted') return undefined;
      // The rest of the body may still be arriving: close rather than read it on a kept-alive connection.
      return refusal(413, 'payload_too_large', `the body is over ${maxBodyBytes} bytes (MAX_FRAME_BYTES)`, { connection: 'close' });
    }
    const body = parsePublishBody(read.body);
    if (!body.ok) return refusal(400, body.code, body.message);
    try {
      const receipt = await this.deps.bus.publish(body.channel, body.data, { headers: body.headers });
      return { status: 200, body: { id: receipt.id, position: receipt.position ?? null } };
    } catch (error) {
      return this.busFailure(error);
    }
  }

  /** A bus rejection as an HTTP answer, with the client-facing code the WebSocket side uses too. */
  private busFailure(error: unknown): Answer {
    // The body checks catch these first; kept for a driver with stricter header rules.
    if (isBusError(error) && error.reason === 'invalid_headers') return refusal(400, 'invalid_headers', describeError(error));
    const { code, message } = busErrorCode(error);
    switch (code) {
      case 'bus_unavailable':
        return refusal(503, code, message, { 'retry-after': '1' });
      case 'payload_too_large':
        return refusal(413, code, message);
      case 'invalid_channel':
      case 'invalid_data':
        return refusal(400, code, message);
      default:
        this.deps.logger.error({ path: API_PUBLISH_PATH, err: describeError(error) }, 'api publish failed');
        return refusal(500, code, message);
    }
  }
}
