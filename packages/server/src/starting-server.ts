import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { isBusError, type MessageBus } from '@app/core';
import type { Logger } from 'pino';
import { refuseUpgrade } from './auth/upgrade-response.js';
import { replyJson } from './http/reply.js';

const STARTING_MESSAGE = 'the server is connecting to its message bus; try again shortly';

function answerWhileStarting(request: IncomingMessage, response: ServerResponse): void {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  if (path === '/healthz') replyJson(response, 200, { status: 'ok' });
  else if (path === '/readyz') replyJson(response, 503, { status: 'starting', bus: 'connecting' });
  else replyJson(response, 503, { error: 'starting', message: STARTING_MESSAGE }, { 'retry-after': '1' });
}

function refuseWhileStarting(_request: IncomingMessage, socket: Duplex): void {
  refuseUpgrade(socket, { status: 503, error: 'starting', message: STARTING_MESSAGE, headers: { 'Retry-After': '1' } });
}

/**
 * The HTTP server, listening before the bus exists: while the bus connects, `/healthz` is 200 and
 * `/readyz` 503, every other request and every upgrade 503, so a load balancer sees a live
 * process that is not ready yet. {@link handOver} removes these handlers for the real ones.
 */
export function startingServer(): Server {
  const server = createServer(answerWhileStarting);
  server.on('upgrade', refuseWhileStarting);
  return server;
}

/** Listens on `port` and `host`; rejects with the listen error (a port in use, say). */
export function listenOn(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** Detaches the start-up answers; the WebSocket server attaches its own right after. */
export function handOver(server: Server): void {
  server.off('request', answerWhileStarting);
  server.off('upgrade', refuseWhileStarting);
}

/** Longest pause between two attempts to create the bus while it cannot be reached. */
const MAX_RETRY_MS = 10_000;

/**
 * Creates the bus, and while its backend cannot be reached (a retryable BusError) tries again
 * with a doubling pause up to 10 s, for as long as it takes: the server becomes ready when the
 * bus comes up, without a restart. A configuration error or a bug ends the start at once.
 */
export async function createBusWhenReachable(create: () => Promise<MessageBus>, logger: Logger): Promise<MessageBus> {
  let pause = 500;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await create();
    } catch (error) {
      if (!isBusError(error) || !error.isRetryable) throw error;
      logger.warn({ attempt, retryInMs: pause, err: error.message }, 'message bus not reachable yet; retrying, /readyz answers 503 meanwhile');
      await new Promise((resolve) => setTimeout(resolve, pause));
      pause = Math.min(pause * 2, MAX_RETRY_MS);
    }
  }
}
