import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pageContentSecurityPolicy } from './http/security-headers.js';

/** The demo page and the Content-Security-Policy that lets exactly its own inline blocks run. */
export interface DemoPage {
  readonly html: string;
  readonly contentSecurityPolicy: string;
}

let cached: DemoPage | undefined;

/** `'sha256-…'` sources of the bodies of every bare `<tag>…</tag>` block, as a browser hashes them. */
function inlineHashes(html: string, tag: 'script' | 'style'): string[] {
  const blocks = [...html.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))];
  return blocks.map((block) => `sha256-${createHash('sha256').update(block[1] ?? '', 'utf8').digest('base64')}`);
}

/**
 * The demo page: one self-contained HTML file (inline CSS and JS), read and hashed once and kept.
 * Hashing the file as it is means an edit to the page cannot get out of step with its policy. A
 * `<script src>` or a `style="…"` attribute would be blocked by the policy (on purpose: the page
 * loads nothing from elsewhere), which the tests check.
 */
export function demoPage(): DemoPage {
  if (cached === undefined) {
    const html = readFileSync(new URL('./public/demo.html', import.meta.url), 'utf8');
    cached = { html, contentSecurityPolicy: pageContentSecurityPolicy({ scripts: inlineHashes(html, 'script'), styles: inlineHashes(html, 'style') }) };
  }
  return cached;
}
