import { describe, expect, it } from 'vitest';
import { loadAuthSettings } from '../../src/auth/token-settings.js';
import { configError } from './support/token-helpers.js';

const SECRET = 'a-test-secret-that-is-at-least-32-bytes-long';

describe('auth settings', () => {
  it('is undefined when no key source is set', () => {
    expect(loadAuthSettings({})).toBeUndefined();
    expect(loadAuthSettings({ AUTH_SECRET: '  ' })).toBeUndefined();
  });

  it('reads a secret with defaults', () => {
    expect(loadAuthSettings({ AUTH_SECRET: SECRET })).toEqual({
      key: { kind: 'secret', secret: new TextEncoder().encode(SECRET), algorithms: ['HS256'] },
      issuers: undefined,
      audiences: undefined,
      clockToleranceS: 5,
    });
  });

  it('reads issuer, audience, algorithms and tolerance', () => {
    expect(
      loadAuthSettings({ AUTH_SECRET: SECRET, AUTH_ISSUER: 'a, b', AUTH_AUDIENCE: 'game', AUTH_ALGORITHMS: 'hs384,HS512', AUTH_CLOCK_TOLERANCE_S: '0' }),
    ).toMatchObject({ key: { algorithms: ['HS384', 'HS512'] }, issuers: ['a', 'b'], audiences: ['game'], clockToleranceS: 0 });
  });

  it('rejects a secret under 32 bytes without printing it', () => {
    const message = configError({ AUTH_SECRET: 'short-secret' });
    expect(message).toContain('AUTH_SECRET');
    expect(message).toContain('12 bytes');
    expect(message).not.toContain('short-secret');
    // Bytes, not characters: 16 two-byte characters are 32 bytes.
    expect(loadAuthSettings({ AUTH_SECRET: 'é'.repeat(16) })).toBeDefined();
  });

  it('rejects two key sources, naming both', () => {
    expect(configError({ AUTH_SECRET: SECRET, AUTH_JWKS_URL: 'https://auth.example/jwks.json' })).toMatch(/AUTH_SECRET and AUTH_JWKS_URL/);
    expect(configError({ AUTH_PUBLIC_KEY_FILE: '/k.pem', AUTH_JWKS_URL: 'https://auth.example/jwks.json' })).toMatch(
      /AUTH_PUBLIC_KEY_FILE and AUTH_JWKS_URL/,
    );
  });

  it('rejects an algorithm the key source cannot use', () => {
    expect(configError({ AUTH_SECRET: SECRET, AUTH_ALGORITHMS: 'RS256' })).toMatch(/AUTH_ALGORITHMS.*"RS256" cannot be used with AUTH_SECRET/);
    expect(configError({ AUTH_JWKS_URL: 'https://a.example/jwks', AUTH_ALGORITHMS: 'HS256' })).toMatch(/AUTH_ALGORITHMS/);
  });

  it('rejects a JWKS URL that is not https (http only on loopback)', () => {
    expect(configError({ AUTH_JWKS_URL: 'not a url' })).toMatch(/^AUTH_JWKS_URL=/);
    expect(configError({ AUTH_JWKS_URL: 'http://auth.example/jwks' })).toMatch(/^AUTH_JWKS_URL=.*https/);
    expect(loadAuthSettings({ AUTH_JWKS_URL: 'http://127.0.0.1:4000/jwks' })?.key).toMatchObject({ kind: 'jwks' });
  });

  it('rejects a bad clock tolerance and auth options without a key', () => {
    expect(configError({ AUTH_SECRET: SECRET, AUTH_CLOCK_TOLERANCE_S: '-1' })).toMatch(/^AUTH_CLOCK_TOLERANCE_S=/);
    expect(configError({ AUTH_ISSUER: 'https://auth.example' })).toMatch(/^AUTH_ISSUER is set but no token key is/);
  });
});
