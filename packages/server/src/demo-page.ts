import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pageContentSecurityPolicy } from './http/security-headers.js';

/** An HTML page and the Content-Security-Policy that lets exactly its own code run. */
export interface HtmlPage {
  readonly html: string;
  readonly contentSecurityPolicy: string;
}

/** `'sha256-…'` sources of the bodies of every bare `<tag>…</tag>` block, as a browser hashes them. */
function inlineHashes(html: string, tag: 'script' | 'style'): string[] {
  const blocks = [...html.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))];
  return blocks.map((block) => `sha256-${createHash('sha256').update(block[1] ?? '', 'utf8').digest('base64')}`);
}

const read = (name: string): string => readFileSync(new URL(`./public/${name}`, import.meta.url), 'utf8');

let consoleCached: HtmlPage | undefined;

/**
 * The protocol console at `/console`: one self-contained HTML file (inline CSS and JS), read and
 * hashed once. Hashing the file as it is means an edit cannot get out of step with its policy; a
 * `<script src>` or a `style="…"` attribute is blocked (the page loads nothing from elsewhere).
 */
export function consolePage(): HtmlPage {
  if (consoleCached === undefined) {
    const html = read('console.html');
    consoleCached = { html, contentSecurityPolicy: pageContentSecurityPolicy({ scripts: inlineHashes(html, 'script'), styles: inlineHashes(html, 'style') }) };
  }
  return consoleCached;
}

/** `ws://host:port/ws` → `ws://host:port`, the form a CSP source takes. */
const origin = (url: string): string => new URL(url).origin.replace(/^http/, 'ws');

/**
 * The demo game at `/`: the HTML shell with its inline style (by hash), the game's script from
 * this server (`/demo.js`), and WebSocket connections to this server and to the other instances in
 * `demoUrls` (DEMO_URLS), which the page fails over to.
 */
export function gamePage(demoUrls: readonly string[]): HtmlPage {
  const shell = read('game.html');
  const html = shell.replace('<meta name="realtime-urls" content="">', `<meta name="realtime-urls" content="${demoUrls.join(',')}">`);
  const connect = [...new Set(demoUrls.map(origin))];
  return { html, contentSecurityPolicy: pageContentSecurityPolicy({ scripts: ['self'], styles: inlineHashes(html, 'style'), connect }) };
}
