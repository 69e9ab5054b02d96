import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/index.js';
import { upgradeAnswer } from '../support/raw-upgrade.js';
import { startTestServer } from '../support/test-server.js';
import { KEY, apiServer, callPublish } from './support/api-client.js';

const API_CSP = "default-src 'none'; frame-ancestors 'none'";
const DEMO_HTML = readFileSync(new URL('../../src/public/console.html', import.meta.url), 'utf8');

type Headers = Pick<Response['headers'], 'get'>;

function expectCommonHeaders(headers: Headers): void {
  expect(headers.get('x-content-type-options')).toBe('nosniff');
  expect(headers.get('referrer-policy')).toBe('no-referrer');
}

function expectApiHeaders(headers: Headers): void {
  expectCommonHeaders(headers);
  expect(headers.get('content-security-policy')).toBe(API_CSP);
}

/** Node's header object behind the `get` that fetch's headers have. */
function fromNode(headers: IncomingHttpHeaders): Headers {
  return { get: (name: string) => (headers[name] === undefined ? null : String(headers[name])) };
}

/** The status and headers of the HTTP answer to an upgrade that is refused. */
async function refusedUpgradeHeaders(url: string): Promise<{ status: number; headers: Headers }> {
  const answer = await upgradeAnswer(url);
  return { status: answer.status, headers: fromNode(answer.headers) };
}

/** The `'sha256-…'` of each inline block, computed here independently of demo-page.ts. */
function hashesOf(tag: string): string[] {
  const bodies = [...DEMO_HTML.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((match) => match[1] ?? '');
  return bodies.map((body) => `'sha256-${createHash('sha256').update(body).digest('base64')}'`);
}

async function getHeaders(server: RunningServer, path: string, init: RequestInit = {}): Promise<Response> {
  const response = await fetch(`${server.url}${path}`, init);
  await response.arrayBuffer();
  return response;
}

describe('security headers', () => {
  it('serves the protocol console with a strict CSP that allows only its own inline script and style, by hash', async () => {
    const server = await startTestServer();
    const response = await getHeaders(server, '/console');
    expectCommonHeaders(response.headers);
    const policy = response.headers.get('content-security-policy') ?? '';
    const directives = new Map(policy.split(';').map((part) => {
      const [name = '', ...values] = part.trim().split(/\s+/);
      return [name, values] as const;
    }));
    const scripts = hashesOf('script');
    const styles = hashesOf('style');
    expect(scripts).toHaveLength(1);
    expect(styles).toHaveLength(1);
    expect(directives.get('default-src')).toEqual(["'none'"]);
    expect(directives.get('script-src')).toEqual(scripts);
    expect(directives.get('style-src')).toEqual(styles);
    expect(directives.get('connect-src')).toEqual(["'self'"]);
    expect(directives.get('img-src')).toEqual(["'self'", 'data:']);
    expect(directives.get('base-uri')).toEqual(["'none'"]);
    expect(directives.get('form-action')).toEqual(["'none'"]);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
    expect(policy).not.toContain('unsafe');
  });

  it('serves the game with script-src self, its inline style by hash, and WebSockets to DEMO_URLS only', async () => {
    const server = await startTestServer({ config: { demoUrls: ['ws://127.0.0.1:8081/ws', 'wss://game.example.com/ws'] } });
    const response = await fetch(`${server.url}/`);
    const html = await response.text();
    expectCommonHeaders(response.headers);
    const policy = response.headers.get('content-security-policy') ?? '';
    const style = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((match) => `'sha256-${createHash('sha256').update(match[1] ?? '').digest('base64')}'`);
    expect(policy).toContain("script-src 'self';");
    expect(policy).toContain(`style-src ${style.join(' ')};`);
    expect(policy).toContain("connect-src 'self' ws://127.0.0.1:8081 wss://game.example.com;");
    expect(html).toContain('<meta name="realtime-urls" content="ws://127.0.0.1:8081/ws,wss://game.example.com/ws">');
    expect(html).not.toMatch(/\sstyle=|<[^>]+\son[a-z]+=/i);
    const script = await fetch(`${server.url}/demo.js`);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expectApiHeaders(script.headers);
    expect((await script.text()).length).toBeGreaterThan(1000);
  });

  it('keeps the demo page within its policy: no style attributes, inline handlers or outside resources', () => {
    expect(DEMO_HTML).not.toMatch(/\sstyle=/i);
    expect(DEMO_HTML).not.toMatch(/<[^>]+\son[a-z]+=/i);
    expect(DEMO_HTML).not.toMatch(/<script\s[^>]*>/i);
    expect(DEMO_HTML).not.toMatch(/<link\b/i);
    expect(DEMO_HTML).not.toMatch(/(?:src|href)=["']?(?:https?:)?\/\//i);
  });

  it('puts nosniff, no-referrer and the API policy on JSON, metrics, 404 and 405 answers', async () => {
    const server = await startTestServer();
    for (const [path, status] of [['/healthz', 200], ['/readyz', 200], ['/metrics', 200], ['/nope', 404]] as const) {
      const response = await getHeaders(server, path);
      expect(response.status).toBe(status);
      expectApiHeaders(response.headers);
    }
    const notAllowed = await getHeaders(server, '/healthz', { method: 'POST' });
    expect(notAllowed.status).toBe(405);
    expectApiHeaders(notAllowed.headers);
    const disabled = await callPublish(server, { channel: 'lobby', data: 1 });
    expect(disabled.status).toBe(404);
    expectApiHeaders(disabled.headers);
  });

  it('puts them on API answers: a 401, a 400 and a 200', async () => {
    const server = await apiServer();
    const denied = await callPublish(server, { channel: 'lobby', data: 1 }, { key: 'wrong-key-but-long-enough' });
    expect(denied.status).toBe(401);
    expectApiHeaders(denied.headers);
    const bad = await callPublish(server, { channel: 'lobby' });
    expect(bad.status).toBe(400);
    expectApiHeaders(bad.headers);
    const ok = await callPublish(server, { channel: 'lobby', data: 1 }, { key: KEY });
    expect(ok.status).toBe(200);
    expectApiHeaders(ok.headers);
  });

  it('puts them on the raw refusals written on an upgrade socket: 404 off /ws, and the 401 for a missing token', async () => {
    const server = await startTestServer();
    const offPath = await refusedUpgradeHeaders(`${server.url.replace('http', 'ws')}/other`);
    expect(offPath.status).toBe(404);
    expectApiHeaders(offPath.headers);
    const authServer = await startTestServer({ env: { AUTH_SECRET: 'a-test-secret-that-is-at-least-32-bytes-long' } });
    const noToken = await refusedUpgradeHeaders(authServer.wsUrl);
    expect(noToken.status).toBe(401);
    expectApiHeaders(noToken.headers);
  });
});
