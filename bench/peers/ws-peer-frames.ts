// The subset of protocol v1 (docs/protocol.md) that the bare `ws` peers speak, so that the bench's
// client for our server (bench/clients/ours-client.ts) drives them unchanged: welcome, subscribe,
// unsubscribe, publish with ack, and message frames. No replay, no limits beyond what ws enforces.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export type ClientFrame =
  | { readonly type: 'subscribe'; readonly channel: string; readonly id?: string }
  | { readonly type: 'unsubscribe'; readonly channel: string; readonly id?: string }
  | { readonly type: 'publish'; readonly channel: string; readonly data: unknown; readonly id?: string };

/** Parses one client text frame; undefined for anything the peers do not handle (the client never sends it). */
export function parseClientFrame(text: string): ClientFrame | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const f = value as Record<string, unknown>;
  const channel = f['channel'];
  const id = typeof f['id'] === 'string' ? f['id'] : undefined;
  if (typeof channel !== 'string' || channel === '') return undefined;
  const withId = id === undefined ? {} : { id };
  if (f['type'] === 'subscribe') return { type: 'subscribe', channel, ...withId };
  if (f['type'] === 'unsubscribe') return { type: 'unsubscribe', channel, ...withId };
  if (f['type'] === 'publish' && 'data' in f) return { type: 'publish', channel, data: f['data'], ...withId };
  return undefined;
}

export const welcomeFrame = (instance: string, driver: string): string =>
  JSON.stringify({ type: 'welcome', protocol: 1, instance, driver, maxFrameBytes: 65536, maxSubscriptions: 100 });

export const ackFrame = (id: string): string => JSON.stringify({ type: 'ack', id });

let counter = 0;
/** A `message` frame; id and position are a per-process counter (the bench client ignores both). */
export function messageFrame(instance: string, channel: string, data: unknown): string {
  counter += 1;
  return JSON.stringify({ type: 'message', channel, data, id: `${instance}-${counter}`, position: `${instance}-${counter}`, timestamp: Date.now() });
}

/**
 * HTTP server with `/healthz` and `/readyz`, a `ws` endpoint on `/ws`, listening on PORT (0 = any)
 * at 127.0.0.1; logs the same "server listening" JSON line as our server so the bench finds the URL.
 */
export function listenWs(onConnection: (socket: WebSocket) => void, extra: Record<string, unknown>): Server {
  const http = createServer((req, res) => {
    res.writeHead(req.url === '/readyz' || req.url === '/healthz' ? 200 : 404).end();
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 65536, clientTracking: false, perMessageDeflate: false });
  http.on('upgrade', (request, socket, head) => {
    if (request.url !== '/ws') {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => onConnection(ws));
  });
  // Tens of thousands of connects arrive at once in the connections workload.
  http.listen({ port: Number(process.env['PORT'] ?? '0'), host: '127.0.0.1', backlog: 4096 }, () => {
    const { port } = http.address() as AddressInfo;
    process.stdout.write(`${JSON.stringify({ msg: 'server listening', url: `http://127.0.0.1:${port}`, ...extra })}\n`);
  });
  return http;
}

/** Exits on SIGTERM/SIGINT after `cleanup` (bounded: the bench kills what is left after 3 s anyway). */
export function exitOnSignal(cleanup: () => void = () => undefined): void {
  const stop = (): void => {
    cleanup();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
