// A full GC in a server process before its RSS is read, through the V8 inspector the server was
// started with (`--inspect=127.0.0.1:<port>`), so that garbage left over from connecting does not
// count as memory per connection. Loopback only; the port is picked free just before the start.
import { createServer } from 'node:net';
import WebSocket from 'ws';
import { withTimeout } from './cleanup.js';

/** A TCP port that was free a moment ago (listen on 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function debuggerUrl(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/json/list`, { signal: AbortSignal.timeout(3000) });
  const targets = (await response.json()) as { webSocketDebuggerUrl?: string }[];
  const url = targets[0]?.webSocketDebuggerUrl;
  if (url === undefined) throw new Error(`no inspector target on port ${port}`);
  return url;
}

/** Runs HeapProfiler.collectGarbage `times` times in the process whose inspector listens on `port`. */
export async function collectGarbage(port: number, times = 2): Promise<void> {
  const socket = new WebSocket(await debuggerUrl(port));
  const work = new Promise<void>((resolve, reject) => {
    let id = 0;
    const next = (): void => {
      if (id === times) return resolve();
      id += 1;
      socket.send(JSON.stringify({ id, method: 'HeapProfiler.collectGarbage' }));
    };
    socket.once('open', next);
    socket.on('message', (raw: WebSocket.RawData) => {
      const reply = JSON.parse(raw.toString()) as { id?: number; error?: { message: string } };
      if (reply.error !== undefined) reject(new Error(reply.error.message));
      else if (reply.id === id) next();
    });
    socket.once('error', reject);
  });
  try {
    await withTimeout(work, 15_000, 'inspector GC');
  } finally {
    socket.terminate();
  }
}
