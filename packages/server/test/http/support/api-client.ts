import { pino, type Logger } from 'pino';
import type { RunningServer } from '../../../src/index.js';
import { startTestServer, type TestServerOptions } from '../../support/test-server.js';

/** Two keys, as during a rotation; each is over the 16-character minimum. */
export const KEY = 'api-key-one-0123456789abcdef';
export const OTHER_KEY = 'api-key-two-fedcba9876543210';

export interface PublishCall {
  /** The bearer key; `null`: no Authorization header. Default: {@link KEY}. */
  readonly key?: string | null;
  readonly method?: string;
  /** Default: `application/json`. */
  readonly contentType?: string | null;
  readonly headers?: Record<string, string>;
}

/** A server with the HTTP API on (`API_KEYS=KEY`, plus `env`). */
export function apiServer(env: Record<string, string> = { API_KEYS: KEY }, options: Omit<TestServerOptions, 'env'> = {}): Promise<RunningServer> {
  return startTestServer({ ...options, env });
}

/** Calls `POST /api/publish` with `body` (an object is sent as JSON, a string or stream as is). */
export function callPublish(server: RunningServer, body: unknown, call: PublishCall = {}): Promise<Response> {
  const headers: Record<string, string> = { ...call.headers };
  const key = call.key === undefined ? KEY : call.key;
  if (key !== null) headers['authorization'] = `Bearer ${key}`;
  const contentType = call.contentType === undefined ? 'application/json' : call.contentType;
  if (contentType !== null) headers['content-type'] = contentType;
  const method = call.method ?? 'POST';
  const init: RequestInit & { duplex?: 'half' } = { method, headers };
  if (method !== 'GET' && method !== 'HEAD') {
    if (body instanceof ReadableStream) {
      init.body = body;
      init.duplex = 'half';
    } else {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
    }
  }
  return fetch(`${server.url}/api/publish`, init);
}

/** The JSON `{error, message}` of a refused call, with its status. */
export async function refusal(response: Response): Promise<{ status: number; error: unknown; message: unknown }> {
  const body = (await response.json()) as Record<string, unknown>;
  return { status: response.status, error: body['error'], message: body['message'] };
}

/** A pino logger at trace level whose every line is kept, to check that no key is ever logged. */
export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) });
  return { logger, lines };
}
