import { SignJWT, type JWTPayload } from 'jose';
import { describe, expect, it } from 'vitest';
import { createTokenVerifier } from '../../src/auth/token-verifier.js';
import { isTokenError, type TokenErrorReason } from '../../src/auth/token-error.js';
import { loadAuthSettings } from '../../src/auth/token-settings.js';

const SECRET = 'a-test-secret-that-is-at-least-32-bytes-long';
const now = (): number => Math.floor(Date.now() / 1000);

function sign(claims: JWTPayload, secret = SECRET, alg = 'HS256'): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg }).sign(new TextEncoder().encode(secret));
}

function verifier(env: Record<string, string> = {}) {
  const settings = loadAuthSettings({ AUTH_SECRET: SECRET, ...env });
  if (settings === undefined) throw new Error('expected auth settings');
  return createTokenVerifier(settings);
}

/** The reason a verification failed; also checks the message never leaks the token. */
async function refusal(token: string, env: Record<string, string> = {}): Promise<TokenErrorReason> {
  try {
    await verifier(env).verify(token);
  } catch (error) {
    if (!isTokenError(error)) throw error;
    if (token.length > 0) {
      expect(error.message).not.toContain(token);
      for (const part of token.split('.').filter((segment) => segment.length > 8)) expect(error.message).not.toContain(part);
    }
    return error.reason;
  }
  throw new Error('expected the token to be refused');
}

describe('token verifier (HS256)', () => {
  it('accepts a good token and returns sub, exp in ms and the claims', async () => {
    const exp = now() + 60;
    const token = await sign({ sub: 'player-1', exp, room: 'lobby' });
    const verified = await verifier().verify(token);
    expect(verified).toEqual({ sub: 'player-1', exp: exp * 1000, claims: { sub: 'player-1', exp, room: 'lobby' } });
  });

  it('refuses a token signed with another secret', async () => {
    const token = await sign({ sub: 'p', exp: now() + 60 }, 'another-secret-that-is-also-32-bytes-or-more');
    expect(await refusal(token)).toBe('invalid_signature');
  });

  it('refuses an algorithm that is not allowed (HS512 when only HS256 is)', async () => {
    const token = await sign({ sub: 'p', exp: now() + 60 }, SECRET, 'HS512');
    expect(await refusal(token)).toBe('invalid_signature');
    await expect(verifier({ AUTH_ALGORITHMS: 'HS256,HS512' }).verify(token)).resolves.toMatchObject({ sub: 'p' });
  });

  it('refuses an expired token, but not within the clock tolerance', async () => {
    expect(await refusal(await sign({ sub: 'p', exp: now() - 30 }))).toBe('expired');
    await expect(verifier().verify(await sign({ sub: 'p', exp: now() - 2 }))).resolves.toMatchObject({ sub: 'p' });
    expect(await refusal(await sign({ sub: 'p', exp: now() - 2 }), { AUTH_CLOCK_TOLERANCE_S: '0' })).toBe('expired');
  });

  it('refuses a token that is not valid yet', async () => {
    expect(await refusal(await sign({ sub: 'p', exp: now() + 600, nbf: now() + 300 }))).toBe('not_yet_valid');
  });

  it('checks the issuer when AUTH_ISSUER is set', async () => {
    const env = { AUTH_ISSUER: 'https://auth.example' };
    expect(await refusal(await sign({ sub: 'p', exp: now() + 60, iss: 'https://evil.example' }), env)).toBe('wrong_issuer');
    expect(await refusal(await sign({ sub: 'p', exp: now() + 60 }), env)).toBe('wrong_issuer');
    await expect(verifier(env).verify(await sign({ sub: 'p', exp: now() + 60, iss: 'https://auth.example' }))).resolves.toMatchObject({ sub: 'p' });
  });

  it('checks the audience when AUTH_AUDIENCE is set', async () => {
    const env = { AUTH_AUDIENCE: 'game-server,admin' };
    expect(await refusal(await sign({ sub: 'p', exp: now() + 60, aud: 'chat' }), env)).toBe('wrong_audience');
    await expect(verifier(env).verify(await sign({ sub: 'p', exp: now() + 60, aud: ['x', 'admin'] }))).resolves.toMatchObject({ sub: 'p' });
  });

  it('requires a sub of 1 to 128 characters and an exp', async () => {
    expect(await refusal(await sign({ exp: now() + 60 }))).toBe('invalid_claims');
    expect(await refusal(await sign({ sub: '', exp: now() + 60 }))).toBe('invalid_claims');
    expect(await refusal(await sign({ sub: 'x'.repeat(129), exp: now() + 60 }))).toBe('invalid_claims');
    expect(await refusal(await sign({ sub: 42, exp: now() + 60 } as unknown as JWTPayload))).toBe('invalid_claims');
    expect(await refusal(await sign({ sub: 'p' }))).toBe('invalid_claims');
    // 128 characters is fine, counted as characters: 128 emoji are 256 UTF-16 units.
    await expect(verifier().verify(await sign({ sub: '🎮'.repeat(128), exp: now() + 60 }))).resolves.toMatchObject({ exp: expect.any(Number) });
  });

  it('refuses an empty or malformed token', async () => {
    expect(await refusal('')).toBe('missing');
    expect(await refusal('not-a-jwt')).toBe('malformed');
    expect(await refusal('a.b.c')).toBe('malformed');
    const [header, payload] = (await sign({ sub: 'p', exp: now() + 60 })).split('.');
    expect(await refusal(`${header}.${payload}.`)).toBe('invalid_signature');
  });

  it('refuses an unsigned (alg none) token', async () => {
    const encode = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
    const token = `${encode({ alg: 'none' })}.${encode({ sub: 'p', exp: now() + 60 })}.`;
    expect(await refusal(token)).toBe('invalid_signature');
  });
});
