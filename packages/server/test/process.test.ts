import { afterEach, describe, expect, it } from 'vitest';
import { killServerProcesses, spawnServer } from './support/server-process.js';
import { TestClient } from './support/test-client.js';

afterEach(killServerProcesses);

describe('the server process', () => {
  it('starts, carries a round trip, and exits 0 on SIGTERM after closing clients with 1001', async () => {
    const server = spawnServer({ PORT: '0', BUS: 'memory' });
    const url = await server.listening();
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    const client = await TestClient.connect(`${url.replace('http', 'ws')}/ws`);
    await client.subscribe('lobby');
    await client.publish('lobby', 'over a real process');
    expect((await client.waitForMessages('lobby', 1))[0]?.data).toBe('over a real process');

    server.child.kill('SIGTERM');
    expect(await client.closed).toEqual({ code: 1001, reason: 'server shutting down' });
    expect(await server.exit).toBe(0);
    expect(server.stdout()).toContain('"driver":"memory"');
    expect(server.stdout()).toContain('"msg":"stopped"');
  }, 30_000);

  it('exits 1 with one clear line for a bad setting', async () => {
    const server = spawnServer({ PORT: 'not-a-port' });
    expect(await server.exit).toBe(1);
    expect(server.stderr()).toBe('configuration error: PORT="not-a-port" is not valid: expected a whole number from 0 to 65535\n');
  }, 30_000);

  it('exits 1 with one clear line in production without a token key', async () => {
    const server = spawnServer({ PORT: '0', NODE_ENV: 'production' });
    expect(await server.exit).toBe(1);
    expect(server.stderr()).toBe(
      'configuration error: NODE_ENV=production and no token key is set: set one of AUTH_SECRET, AUTH_PUBLIC_KEY_FILE, AUTH_JWKS_URL, or AUTH=none to let every client connect anonymously on purpose\n',
    );
    expect(server.stdout()).not.toContain('server listening');
  }, 30_000);

  it('names a driver package in --help by the BUS that loads it, not by its short name', async () => {
    const bus = new URL('./fixtures/team-driver.ts', import.meta.url).href;
    const server = spawnServer({ BUS: bus }, ['--help']);
    expect(await server.exit).toBe(0);
    expect(server.stdout()).toContain(`Settings of the "team-driver" driver (BUS=${bus}):`);
    expect(server.stdout()).toMatch(/^ {2}TEAM_MAX_PAYLOAD_BYTES /m);
  }, 30_000);

  it('lists AUTH, ALLOWED_ORIGINS and MAX_CONNECTIONS in --help', async () => {
    const server = spawnServer({}, ['--help']);
    expect(await server.exit).toBe(0);
    expect(server.stdout()).toMatch(/^ {2}AUTH +Only "none"/m);
    expect(server.stdout()).toMatch(/^ {2}ALLOWED_ORIGINS +Comma-separated origins/m);
    expect(server.stdout()).toMatch(/^ {2}MAX_CONNECTIONS +.*\(default: 100000\)$/m);
  }, 30_000);

  it('exits 1 naming the problem for an unknown BUS', async () => {
    const server = spawnServer({ PORT: '0', BUS: 'nosuchbus' });
    expect(await server.exit).toBe(1);
    expect(server.stderr()).toMatch(/^configuration error: BUS=nosuchbus: could not load driver package "nosuchbus".*\n$/);
    expect(server.stderr().split('\n')).toHaveLength(2);
  }, 30_000);

  it('runs a driver package of another team, named by BUS, with no change to the server', async () => {
    const bus = new URL('./fixtures/team-driver.ts', import.meta.url).href;
    const server = spawnServer({ PORT: '0', BUS: bus, TEAM_MAX_PAYLOAD_BYTES: '2048' });
    const url = await server.listening();
    expect(server.stdout()).toContain('"driver":"team-driver"');
    const client = await TestClient.connect(`${url.replace('http', 'ws')}/ws`);
    await client.subscribe('lobby');
    await client.publish('lobby', 'through the team driver');
    expect((await client.waitForMessages('lobby', 1))[0]?.data).toBe('through the team driver');
    const tooBig = await client.publish('lobby', 'x'.repeat(3000));
    expect(tooBig.code).toBe('payload_too_large');
    await client.close();
    expect(await server.stop()).toBe(0);
  }, 30_000);
});
