import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { TestClient } from './support/test-client.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/** Runs the server exactly as `pnpm start` does. */
function run(env: Record<string, string>): { child: ChildProcess; stdout: () => string; stderr: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ['--conditions=@app/source', '--import', 'tsx', 'packages/server/src/main.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exit };
}

async function listeningUrl(stdout: () => string, exit: Promise<number | null>): Promise<string> {
  for (;;) {
    const line = stdout()
      .split('\n')
      .map((text) => (text.startsWith('{') ? (JSON.parse(text) as { msg?: string; url?: string }) : {}))
      .find((entry) => entry.msg === 'server listening');
    if (line?.url !== undefined) return line.url;
    const exited = await Promise.race([exit.then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), 50))]);
    if (exited) throw new Error(`server exited before listening:\n${stdout()}`);
  }
}

describe('the server process', () => {
  it('starts, carries a round trip, and exits 0 on SIGTERM after closing clients with 1001', async () => {
    const server = run({ PORT: '0', BUS: 'memory' });
    const url = await listeningUrl(server.stdout, server.exit);
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
    const server = run({ PORT: 'not-a-port' });
    expect(await server.exit).toBe(1);
    expect(server.stderr()).toBe('configuration error: PORT="not-a-port" is not valid: expected a whole number from 0 to 65535\n');
  }, 30_000);

  it('exits 1 naming the problem for an unknown BUS', async () => {
    const server = run({ PORT: '0', BUS: 'nosuchbus' });
    expect(await server.exit).toBe(1);
    expect(server.stderr()).toMatch(/^configuration error: BUS=nosuchbus: could not load driver package "nosuchbus".*\n$/);
    expect(server.stderr().split('\n')).toHaveLength(2);
  }, 30_000);
});
