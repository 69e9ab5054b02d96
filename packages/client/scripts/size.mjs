// The browser build's size budget: bundles src/index.ts as an app would (esbuild, minified,
// ESM for browsers), gzips it at level 9 and fails over 8 KiB. `pnpm size:client` runs it; a
// test runs it too, so CI checks the budget. Prints one line: `client: <min> B minified, <gz> B gzipped (budget 8192 B)`.
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

export const BUDGET_BYTES = 8192;

/** Bundles and gzips the client; resolves with both sizes in bytes. */
export async function measure() {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('../src/index.ts', import.meta.url))],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].contents;
  return { minified: code.byteLength, gzipped: gzipSync(code, { level: 9 }).byteLength };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { minified, gzipped } = await measure();
  console.log(`client: ${minified} B minified, ${gzipped} B gzipped (budget ${BUDGET_BYTES} B)`);
  if (gzipped > BUDGET_BYTES) {
    console.error(`the browser build is ${gzipped - BUDGET_BYTES} B over its budget`);
    process.exit(1);
  }
}
