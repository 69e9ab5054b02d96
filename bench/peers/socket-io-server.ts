// The peer: a minimal Socket.IO server, two of which share Redis through an adapter.
// Env: SIO_ADAPTER=redis|streams, REDIS_URL, SIO_KEY (pub/sub key or stream name), PORT (0 = free port).
// Events: `join`/`leave` (room, ack) and `pub` (room, data, ack) -> io.to(room).emit('msg', room, data).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { isBenchPayload } from '../clients/bench-connection.js';
import type { ClientToServerEvents, ServerToClientEvents } from '../clients/socket-io-events.js';

type AdapterFactory = NonNullable<NonNullable<ConstructorParameters<typeof Server>[1]>['adapter']>;

const adapterKind = process.env['SIO_ADAPTER'] ?? 'redis';
const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const key = process.env['SIO_KEY'] ?? 'socket.io';
const port = Number(process.env['PORT'] ?? '0');
const redisOptions = { connectTimeout: 5000, maxRetriesPerRequest: 3, lazyConnect: true } as const;

function fatal(message: string): never {
  process.stderr.write(`socket-io-server: ${message}\n`);
  process.exit(1);
}

/** Warnings go to stdout as JSON lines (level 40, like pino) so the benchmark shows them. */
function warn(msg: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ level: 40, msg, adapter: adapterKind, ...fields })}\n`);
}

async function connected(client: Redis, role: string): Promise<Redis> {
  // ioredis reconnects on its own; a dropped connection matters (loss, resent commands), so say so.
  client.on('error', (error: Error) => warn('redis error', { role, err: error.message }));
  client.on('reconnecting', () => warn('redis reconnecting', { role }));
  await client.connect();
  return client;
}

async function makeAdapter(): Promise<{ adapter: AdapterFactory; clients: Redis[] }> {
  const pub = await connected(new Redis(redisUrl, redisOptions), 'pub');
  if (adapterKind === 'redis') {
    const { createAdapter } = await import('@socket.io/redis-adapter');
    const sub = await connected(pub.duplicate(), 'sub');
    return { adapter: createAdapter(pub, sub, { key }), clients: [pub, sub] };
  }
  if (adapterKind === 'streams') {
    const { createAdapter } = await import('@socket.io/redis-streams-adapter');
    return { adapter: createAdapter(pub, { streamName: key, channelPrefix: key }), clients: [pub] };
  }
  return fatal(`SIO_ADAPTER must be redis or streams, not ${JSON.stringify(adapterKind)}`);
}

async function main(): Promise<void> {
  const { adapter, clients } = await makeAdapter();
  const http = createServer((req, res) => {
    res.writeHead(req.url === '/readyz' || req.url === '/healthz' ? 200 : 404).end();
  });
  const io = new Server<ClientToServerEvents, ServerToClientEvents>(http, { adapter, transports: ['websocket'], serveClient: false });
  io.on('connection', (socket) => {
    socket.on('join', (room, ack) => {
      if (typeof room !== 'string' || typeof ack !== 'function') return;
      void Promise.resolve(socket.join(room)).then(() => ack());
    });
    socket.on('leave', (room, ack) => {
      if (typeof room !== 'string' || typeof ack !== 'function') return;
      void Promise.resolve(socket.leave(room)).then(() => ack());
    });
    socket.on('pub', (room, data, ack) => {
      if (typeof room !== 'string' || !isBenchPayload(data) || typeof ack !== 'function') return;
      io.to(room).emit('msg', room, data);
      ack();
    });
  });
  http.listen(port, '127.0.0.1', () => {
    const { port: actual } = http.address() as AddressInfo;
    process.stdout.write(`${JSON.stringify({ msg: 'server listening', url: `http://127.0.0.1:${actual}`, adapter: adapterKind })}\n`);
  });
  const stop = (): void => {
    setTimeout(() => process.exit(0), 2000).unref();
    void io.close().finally(() => {
      for (const client of clients) client.disconnect();
      process.exit(0);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => fatal(error instanceof Error ? error.message : String(error)));
