import { createServer, connect, type Socket } from 'node:net';
import { afterEach } from 'vitest';

/** A TCP proxy in front of a server, to cut connections the way a network does (no close frame: 1006). */
export interface TcpProxy {
  /** `ws://127.0.0.1:<proxy port>/ws`. */
  readonly wsUrl: string;
  /** Destroys every proxied connection, both sides. */
  dropAll(): void;
  /** Drops every connection and refuses new ones until `unblock()`: the server is unreachable. */
  block(): void;
  unblock(): void;
  /** Connections proxied so far. */
  readonly accepted: number;
  close(): Promise<void>;
}

const proxies: TcpProxy[] = [];

afterEach(async () => {
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
});

/** Starts a proxy to 127.0.0.1:`targetPort`, closed after the test. */
export async function startProxy(targetPort: number): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let blocked = false;
  let accepted = 0;
  const server = createServer((client) => {
    if (blocked) {
      client.destroy();
      return;
    }
    accepted += 1;
    const upstream = connect(targetPort, '127.0.0.1');
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on('error', end);
      socket.on('close', end);
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy has no port');
  const dropAll = (): void => {
    for (const socket of [...open]) socket.destroy();
  };
  const proxy: TcpProxy = {
    wsUrl: `ws://127.0.0.1:${address.port}/ws`,
    dropAll,
    block: () => {
      blocked = true;
      dropAll();
    },
    unblock: () => {
      blocked = false;
    },
    get accepted() {
      return accepted;
    },
    close: async () => {
      dropAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  proxies.push(proxy);
  return proxy;
}
