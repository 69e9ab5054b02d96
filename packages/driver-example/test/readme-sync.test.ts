import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const README = 'packages/core/README.md';
/** Files the guide must show besides every source file: the package skeleton. */
const SKELETON = ['packages/driver-example/package.json', 'packages/driver-example/tsconfig.json', 'packages/driver-example/test/conformance.test.ts'];

/** The README's fenced blocks marked ```<lang> file=<path>, by path. */
function blocksByFile(markdown: string): Map<string, string> {
  const blocks = new Map<string, string>();
  for (const match of markdown.matchAll(/^```\w* file=(\S+)\n([\s\S]*?)^```$/gm)) {
    const [, path, body] = match as unknown as [string, string, string];
    expect(blocks.has(path), `${path} is shown once`).toBe(false);
    blocks.set(path, body);
  }
  return blocks;
}

it('the driver guide in the core README shows the example driver and its skeleton exactly as they are in packages/driver-example', () => {
  const blocks = blocksByFile(readFileSync(`${ROOT}${README}`, 'utf8'));
  const sources = readdirSync(`${ROOT}packages/driver-example/src`).map((name) => `packages/driver-example/src/${name}`);
  expect([...blocks.keys()].sort(), `the files ${README} shows (every source file and the skeleton)`).toEqual([...sources, ...SKELETON].sort());
  for (const [path, body] of blocks) {
    expect(body, `${README}'s block for ${path} must be that file verbatim: copy it again`).toBe(readFileSync(`${ROOT}${path}`, 'utf8'));
  }
});
