import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { isTokenError } from '../../src/auth/token-error.js';
import { reason, verifierFor as verifierForEnv } from './support/token-helpers.js';

interface JwksServer {
  readonly url: string;
  /** Requests served so far, to see jose's cache at work. */
  readonly requests: () => number;
  readonly stop: () => Promise<void>;
}

const servers: JwksServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.stop()));
});

/** Serves `{ keys }` at /jwks.json on 127.0.0.1 and a free port. */
async function serveJwks(keys: JWK[]): Promise<JwksServer> {
  let requests = 0;
  const server: Server = createServer((request, response) => {
    requests += 1;
    if (request.url !== '/jwks.json') {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let stopped = false;
  const handle: JwksServer = {
    url: `http://127.0.0.1:${port}/jwks.json`,
    requests: () => requests,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error === undefined ? resolve() : reject(error))));
    },
  };
  servers.push(handle);
  return handle;
}

async function signingKey(alg: string, kid: string): Promise<{ privateKey: CryptoKey; jwk: JWK }> {
  const { publicKey, privateKey } = await generateKeyPair(alg);
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

function sign(privateKey: CryptoKey, alg: string, kid: string): Promise<string> {
  return new SignJWT({ sub: 'player-1' }).setProtectedHeader({ alg, kid }).setExpirationTime('1m').setIssuer('https://auth.example').sign(privateKey);
}

const verifierFor = (url: string) => verifierForEnv({ AUTH_JWKS_URL: url, AUTH_ISSUER: 'https://auth.example' });

describe('token verifier with AUTH_JWKS_URL', () => {
  it('verifies tokens signed by any key in the set, fetching the set once', async () => {
    const rsa = await signingKey('RS256', 'rsa-1');
    const ec = await signingKey('ES256', 'ec-1');
    const jwks = await serveJwks([rsa.jwk, ec.jwk]);
    const verifier = verifierFor(jwks.url);
    await expect(verifier.verify(await sign(rsa.privateKey, 'RS256', 'rsa-1'))).resolves.toMatchObject({ sub: 'player-1' });
    await expect(verifier.verify(await sign(ec.privateKey, 'ES256', 'ec-1'))).resolves.toMatchObject({ sub: 'player-1' });
    expect(jwks.requests()).toBe(1);
  });

  it('refuses a token whose key is not in the set, or forged under a known kid', async () => {
    const known = await signingKey('ES256', 'known');
    const stranger = await signingKey('ES256', 'stranger');
    const jwks = await serveJwks([known.jwk]);
    const verifier = verifierFor(jwks.url);
    expect(await reason(verifier.verify(await sign(stranger.privateKey, 'ES256', 'stranger')))).toBe('invalid_signature');
    expect(await reason(verifier.verify(await sign(stranger.privateKey, 'ES256', 'known')))).toBe('invalid_signature');
  });

  it('reports key_unavailable when the JWKS server is down or answers with an error', async () => {
    const key = await signingKey('ES256', 'k');
    const jwks = await serveJwks([key.jwk]);
    const token = await sign(key.privateKey, 'ES256', 'k');
    const cached = verifierFor(jwks.url);
    await expect(cached.verify(token)).resolves.toMatchObject({ sub: 'player-1' });
    await jwks.stop();
    // jose keeps the fetched set (10 minutes): the verifier that has it still works...
    await expect(cached.verify(token)).resolves.toMatchObject({ sub: 'player-1' });
    // ...and one that never fetched it cannot get the keys.
    const fresh = verifierFor(jwks.url);
    const error: unknown = await fresh.verify(token).then(() => undefined, (caught: unknown) => caught);
    expect(isTokenError(error) && error.reason).toBe('key_unavailable');
    expect(isTokenError(error) && error.message).not.toContain(token.split('.')[2]);

    const other = await serveJwks([key.jwk]);
    expect(await reason(verifierFor(other.url.replace('/jwks.json', '/missing.json')).verify(token))).toBe('key_unavailable');
  });
});
