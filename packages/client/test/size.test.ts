import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../scripts/size.mjs', import.meta.url));

describe('the browser build', () => {
  it('stays within 8 KiB minified and gzipped (the same script as pnpm size:client)', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [script]);
    const gzipped = Number(/(\d+) B gzipped/.exec(stdout)?.[1]);
    expect(gzipped, stdout).toBeGreaterThan(1000);
    expect(gzipped, stdout).toBeLessThanOrEqual(8192);
  });
});
