import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseTtl } from '../../src/cli/token-options.js';
import { connect, startTestServer } from '../support/test-server.js';
import { verifierFor } from './support/token-helpers.js';

const root = fileURLToPath(new URL('../../../..', import.meta.url));
const SECRET = 'a-test-secret-that-is-at-least-32-bytes-long';
const JWT = /^[\w-]+\.[\w-]+\.[\w-]+$/;

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(file: string, args: readonly string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: root, env: { PATH: process.env['PATH'] ?? '', ...env } }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The CLI as the root `token` script runs it. */
function mint(args: readonly string[], env: Record<string, string> = { AUTH_SECRET: SECRET }): Promise<Run> {
  return run(process.execPath, ['--conditions=@app/source', '--import', 'tsx', 'packages/server/src/cli/mint-token.ts', ...args], env);
}

/** The one token a successful run printed, alone on stdout. */
function printedToken(result: Run): string {
  expect(result).toMatchObject({ code: 0, stderr: '' });
  expect(result.stdout.endsWith('\n')).toBe(true);
  const token = result.stdout.slice(0, -1);
  expect(token).toMatch(JWT);
  return token;
}

describe('pnpm run token', () => {
  it("prints only a token, which the server's verifier accepts with its sub, grants, issuer and audience", async () => {
    const env = { AUTH_SECRET: SECRET, AUTH_ISSUER: 'https://issuer.test,https://other.test', AUTH_AUDIENCE: 'realtime' };
    const grants = { 'game:*': ['subscribe', 'publish'] };
    const token = printedToken(await mint(['--sub', 'alice', '--channels', JSON.stringify(grants)], env));
    const verified = await verifierFor(env).verify(token);
    expect(verified.sub).toBe('alice');
    expect(verified.claims).toMatchObject({ channels: grants, iss: 'https://issuer.test', aud: 'realtime' });
    expect((verified.claims.exp ?? 0) - (verified.claims.iat ?? 0)).toBe(3600);
  }, 30_000);

  it('makes a token a server with that secret accepts, with the grants it names', async () => {
    const token = printedToken(await mint(['--sub', 'alice', '--channels', '{"game:*":["subscribe","publish"]}', '--ttl', '15m']));
    expect((await verifierFor({ AUTH_SECRET: SECRET }).verify(token)).claims).toMatchObject({ exp: expect.any(Number) });
    const server = await startTestServer({ env: { AUTH_SECRET: SECRET } });
    const client = await connect(server, { headers: { authorization: `Bearer ${token}` } });
    expect(await client.subscribe('game:1')).toMatchObject({ type: 'ack' });
    expect(await client.publish('game:1', 'hello')).toMatchObject({ type: 'ack' });
    expect((await client.waitForMessages('game:1', 1))[0]).toMatchObject({ data: 'hello', user: 'alice' });
    expect(await client.subscribe('admin:1')).toMatchObject({ type: 'error', code: 'forbidden' });
  }, 30_000);

  it('honours --issuer, --audience and --ttl over the environment', async () => {
    const env = { AUTH_SECRET: SECRET, AUTH_ISSUER: 'https://issuer.test', AUTH_AUDIENCE: 'realtime' };
    const token = printedToken(await mint(['--sub', 'bob', '--issuer', 'https://other.test', '--audience', 'admin', '--ttl', '90'], env));
    const claims = (await verifierFor({ AUTH_SECRET: SECRET, AUTH_ISSUER: 'https://other.test', AUTH_AUDIENCE: 'admin' }).verify(token)).claims;
    expect(claims).toMatchObject({ sub: 'bob', iss: 'https://other.test', aud: 'admin' });
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(90);
    expect(claims.channels).toBeUndefined();
  }, 30_000);

  it('reads --ttl as 30s, 15m, 2h, 1d or seconds', () => {
    expect([parseTtl('30s'), parseTtl('15m'), parseTtl('2h'), parseTtl('1d'), parseTtl('45')]).toEqual([30, 900, 7200, 86_400, 45]);
    for (const bad of ['0', '1w', '-5', '1.5h', '', '367d']) expect(() => parseTtl(bad), bad).toThrow(/^--ttl .* is not valid/);
  });

  it('exits 1 with one line on stderr, and nothing on stdout, for each bad input', async () => {
    const cases: [readonly string[], Record<string, string>, RegExp][] = [
      [['--channels', '{}'], { AUTH_SECRET: SECRET }, /^error: --sub is required/],
      [['--sub', 'a', '--channels', '{"game:*":["dance"]}'], { AUTH_SECRET: SECRET }, /^error: --channels: pattern "game:\*": unknown action "dance"/],
      [['--sub', 'a', '--channels', '{"game:42:*":["subscribe"]}'], { AUTH_SECRET: SECRET }, /^error: --channels: .*"\*" may only follow a namespace/],
      [['--sub', 'a', '--channels', '{game'], { AUTH_SECRET: SECRET }, /^error: --channels is not valid JSON/],
      [['--sub', 'a', '--ttl', 'soon'], { AUTH_SECRET: SECRET }, /^error: --ttl "soon" is not valid/],
      [['--sub', 'a', '--admin'], { AUTH_SECRET: SECRET }, /^error: Unknown option '--admin'/],
      [['--sub', 'a'], {}, /^error: AUTH_SECRET is not set/],
      [['--sub', 'a'], { AUTH_SECRET: 'short' }, /^error: AUTH_SECRET is too short: 5 bytes, expected at least 32/],
    ];
    const results = await Promise.all(cases.map(([args, env]) => mint(args, env)));
    results.forEach((result, index) => {
      const [args, , pattern] = cases[index] ?? [[], {}, /^$/];
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stdout, args.join(' ')).toBe('');
      expect(result.stderr, args.join(' ')).toMatch(pattern);
      expect(result.stderr.split('\n'), args.join(' ')).toHaveLength(2);
      expect(result.stderr).not.toContain(SECRET);
    });
  }, 60_000);

  it('prints its usage for --help', async () => {
    const result = await mint(['--help'], {});
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^Usage: pnpm -s run token --sub <user>/);
    expect(result.stdout).toContain('--ttl <duration>');
  }, 30_000);

  it('is the root package.json "token" script', async () => {
    const token = printedToken(await run('pnpm', ['-s', 'run', 'token', '--sub', 'carol'], { AUTH_SECRET: SECRET }));
    expect((await verifierFor({ AUTH_SECRET: SECRET }).verify(token)).sub).toBe('carol');
  }, 30_000);
});
