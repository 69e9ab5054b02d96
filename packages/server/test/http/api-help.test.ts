import { afterEach, describe, expect, it } from 'vitest';
import { killServerProcesses, spawnServer } from '../support/server-process.js';

afterEach(killServerProcesses);

describe('the HTTP API settings in the server process', () => {
  it('lists API_KEYS, API_KEY and METRICS_REQUIRE_API_KEY in --help', async () => {
    const server = spawnServer({}, ['--help']);
    expect(await server.exit).toBe(0);
    expect(server.stdout()).toMatch(/^ {2}API_KEYS +Comma-separated bearer keys/m);
    expect(server.stdout()).toMatch(/^ {2}API_KEY +A single API key/m);
    expect(server.stdout()).toMatch(/^ {2}METRICS_REQUIRE_API_KEY +.*\(default: false\)$/m);
  }, 30_000);

  it('exits 1 with one line that names the variable, and not the key, for a short key', async () => {
    const server = spawnServer({ PORT: '0', AUTH: 'none', API_KEYS: 'short-secret' });
    expect(await server.exit).toBe(1);
    expect(server.stderr()).toBe('configuration error: the key in API_KEYS is too short: 12 characters, expected at least 16 (e.g. openssl rand -hex 32)\n');
    expect(server.stdout()).not.toContain('short-secret');
  }, 30_000);
});
