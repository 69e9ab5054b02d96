import { readFileSync } from 'node:fs';

let cached: string | undefined;

/** The demo page: one self-contained HTML file (inline CSS and JS), read once and kept. */
export function demoPage(): string {
  cached ??= readFileSync(new URL('./public/demo.html', import.meta.url), 'utf8');
  return cached;
}
