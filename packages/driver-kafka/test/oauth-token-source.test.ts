import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isBusError } from '@app/core';
import { describe, expect, it } from 'vitest';
import { jwtExpiryMs, oauthTokenProvider } from '../src/oauth-token-source.js';
import { uniqueName } from './bus-factory.js';
import { unsecuredJws } from './tls-support.js';

const T0 = 1_800_000_000_000;

describe('OAUTHBEARER token source', () => {
  it('reads exp from a JWT, and nothing from an opaque token', () => {
    expect(jwtExpiryMs(unsecuredJws({ sub: 'a', exp: 1_800_000_100 }))).toBe(1_800_000_100_000);
    expect(jwtExpiryMs('opaque-token')).toBeUndefined();
    expect(jwtExpiryMs('a.b.c')).toBeUndefined();
  });

  it('keeps a JWT until a minute before exp, then reads the file again; refuses an expired one', async () => {
    const file = join(tmpdir(), `${uniqueName('token')}.jwt`);
    let now = T0;
    let written = 0;
    const write = (lifetimeS: number) => {
      written += 1;
      const jws = unsecuredJws({ sub: `a${written}`, exp: now / 1000 + lifetimeS });
      writeFileSync(file, `${jws}\n`);
      return jws;
    };
    const token = oauthTokenProvider({ kind: 'file', variable: 'KAFKA_OAUTH_TOKEN_FILE', path: file }, () => now);
    const hour = write(3600);
    expect(await token()).toBe(hour);
    write(3600); // rotated on disk, but the cached one is still good
    now = T0 + 3600_000 - 61_000;
    expect(await token()).toBe(hour);
    now = T0 + 3600_000 - 59_000;
    expect(await token()).not.toBe(hour);
    // A fixed token is handed out until its exp, then refused: never sent to the broker expired.
    const base = now;
    const short = unsecuredJws({ sub: 'b', exp: base / 1000 + 20 });
    const shortSource = oauthTokenProvider({ kind: 'fixed', variable: 'KAFKA_OAUTH_TOKEN', token: short }, () => now);
    expect(await shortSource()).toBe(short);
    now = base + 9000;
    expect(await shortSource()).toBe(short);
    now = base + 21_000;
    const expired = await shortSource().catch((error: unknown) => error);
    expect(isBusError(expired) && expired.reason === 'unauthorized' && !expired.isRetryable).toBe(true);
    expect(String((expired as Error).message)).toContain('the OAUTHBEARER token from KAFKA_OAUTH_TOKEN expired at');
    expect(String((expired as Error).message)).not.toContain(short);
  });

  it('runs the command on every call for an opaque token', async () => {
    const file = join(tmpdir(), `${uniqueName('count')}.txt`);
    writeFileSync(file, '');
    const token = oauthTokenProvider({ kind: 'command', variable: 'KAFKA_OAUTH_TOKEN_COMMAND', command: `echo x >> '${file}'; echo opaque` });
    expect([await token(), await token()]).toEqual(['opaque', 'opaque']);
    expect(readFileSync(file, 'utf8')).toBe('x\nx\n');
  });

  it('never quotes the command (it may hold a client secret) when it fails without stderr or times out', async () => {
    const secret = 'client_secret=s3cr3t-value';
    const error = await oauthTokenProvider({ kind: 'command', variable: 'KAFKA_OAUTH_TOKEN_COMMAND', command: `true ${secret}; exit 7` })().catch((failure: unknown) => failure);
    expect(isBusError(error) && error.reason === 'unauthorized' && !error.isRetryable).toBe(true);
    const message = String((error as Error).message);
    expect(message).toContain('KAFKA_OAUTH_TOKEN_COMMAND failed');
    expect(message).toContain('exit code 7');
    expect(message).not.toContain(secret);
  });

  it('keeps the valid token when a refresh fails (file missing or half-written), and fails once it expired', async () => {
    const file = join(tmpdir(), `${uniqueName('rotating')}.jwt`);
    let now = T0;
    const jws = unsecuredJws({ sub: 'a', exp: T0 / 1000 + 3600 });
    writeFileSync(file, jws);
    const token = oauthTokenProvider({ kind: 'file', variable: 'KAFKA_OAUTH_TOKEN_FILE', path: file }, () => now);
    expect(await token()).toBe(jws);
    now = T0 + 3600_000 - 30_000; // in the refresh window
    writeFileSync(file, ''); // the rotator truncated it and has not written the new one yet
    expect(await token()).toBe(jws);
    rmSync(file);
    expect(await token()).toBe(jws);
    const fresh = unsecuredJws({ sub: 'b', exp: T0 / 1000 + 7200 });
    writeFileSync(file, fresh);
    expect(await token()).toBe(fresh);
    rmSync(file);
    now = T0 + 7200_000 + 1;
    const error = await token().catch((failure: unknown) => failure);
    expect(isBusError(error) && error.reason === 'unauthorized' && !error.isRetryable).toBe(true);
    expect(String((error as Error).message)).toContain('KAFKA_OAUTH_TOKEN_FILE=');
  });

  it('runs the command once for connections that authenticate at the same time', async () => {
    const file = join(tmpdir(), `${uniqueName('concurrent')}.txt`);
    writeFileSync(file, '');
    const jws = unsecuredJws({ sub: 'a', exp: Math.floor(Date.now() / 1000) + 3600 });
    const token = oauthTokenProvider({ kind: 'command', variable: 'KAFKA_OAUTH_TOKEN_COMMAND', command: `echo x >> '${file}'; sleep 0.2; echo '${jws}'` });
    expect(await Promise.all([token(), token(), token()])).toEqual([jws, jws, jws]);
    expect(readFileSync(file, 'utf8')).toBe('x\n');
  });
});
