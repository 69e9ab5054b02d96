import { request, type IncomingHttpHeaders } from 'node:http';
import { randomBytes } from 'node:crypto';

/** What the server answered a WebSocket handshake: 101 (the socket is then dropped) or a refusal with its body. */
export interface UpgradeAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The parsed JSON body of a refusal; undefined for a 101 or a body that is not JSON. */
  readonly body: Record<string, unknown> | undefined;
}

/**
 * Sends one raw WebSocket handshake to `wsUrl` with `headers` (e.g. an Origin) and resolves with
 * the answer. Raw HTTP rather than a ws client, so the status, headers and body are all visible
 * and no Origin is sent unless asked.
 */
export function upgradeAnswer(wsUrl: string, headers: Record<string, string> = {}): Promise<UpgradeAnswer> {
  const url = new URL(wsUrl.replace(/^ws/, 'http'));
  return new Promise((resolve, reject) => {
    const req = request(url, {
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
        ...headers,
      },
    });
    req.on('upgrade', (response, socket) => {
      socket.destroy();
      resolve({ status: response.statusCode ?? 0, headers: response.headers, body: undefined });
    });
    req.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: Record<string, unknown> | undefined;
        try {
          body = JSON.parse(text) as Record<string, unknown>;
        } catch {
          body = undefined;
        }
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body });
      });
    });
    req.on('error', reject);
    req.end();
  });
}
