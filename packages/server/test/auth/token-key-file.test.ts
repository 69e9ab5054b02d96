import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportPKCS8, exportSPKI, generateKeyPair, importPKCS8, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAuthSettings } from '../../src/auth/token-settings.js';
import { configError, reason, verifierFor } from './support/token-helpers.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'token-key-file-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A fresh key pair for `alg`, the public half written as SPKI PEM; returns the private key and the file. */
async function keyFile(alg: string, name: string): Promise<{ privateKey: CryptoKey; path: string; pem: string }> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const path = join(dir, `${name}.pem`);
  const pem = await exportSPKI(publicKey);
  await writeFile(path, pem);
  return { privateKey, path, pem };
}

function sign(privateKey: CryptoKey, alg: string, sub = 'player-1'): Promise<string> {
  return new SignJWT({ sub }).setProtectedHeader({ alg }).setExpirationTime('1m').sign(privateKey);
}

describe('token verifier with AUTH_PUBLIC_KEY_FILE', () => {
  it('verifies RS256, the algorithm inferred from an RSA key', async () => {
    const { privateKey, path } = await keyFile('RS256', 'rsa');
    expect(loadAuthSettings({ AUTH_PUBLIC_KEY_FILE: path })?.key).toMatchObject({ kind: 'public_key_file', algorithms: ['RS256'] });
    const verifier = verifierFor({ AUTH_PUBLIC_KEY_FILE: path });
    await expect(verifier.verify(await sign(privateKey, 'RS256'))).resolves.toMatchObject({ sub: 'player-1' });
    // The same RSA key signing PS256 is refused until AUTH_ALGORITHMS allows it.
    // A WebCrypto key serves one algorithm, so the same RSA private key is re-imported for PS256.
    const ps256 = await sign(await importPKCS8(await exportPKCS8(privateKey), 'PS256'), 'PS256');
    expect(await reason(verifier.verify(ps256))).toBe('invalid_signature');
    await expect(verifierFor({ AUTH_PUBLIC_KEY_FILE: path, AUTH_ALGORITHMS: 'RS256,PS256' }).verify(ps256)).resolves.toMatchObject({ sub: 'player-1' });
  });

  it('verifies ES256, inferred from a P-256 key, and refuses another key\'s token', async () => {
    const { privateKey, path } = await keyFile('ES256', 'ec');
    const other = await generateKeyPair('ES256');
    const verifier = verifierFor({ AUTH_PUBLIC_KEY_FILE: path });
    await expect(verifier.verify(await sign(privateKey, 'ES256', 'p2'))).resolves.toMatchObject({ sub: 'p2' });
    expect(await reason(verifier.verify(await sign(other.privateKey, 'ES256')))).toBe('invalid_signature');
  });

  it('verifies EdDSA from an Ed25519 key', async () => {
    const { privateKey, path } = await keyFile('EdDSA', 'ed25519');
    await expect(verifierFor({ AUTH_PUBLIC_KEY_FILE: path }).verify(await sign(privateKey, 'EdDSA'))).resolves.toMatchObject({ sub: 'player-1' });
  });

  it('refuses an HS256 token made with the public key as the secret (algorithm confusion)', async () => {
    const { path, pem } = await keyFile('RS256', 'confusion');
    const forged = await new SignJWT({ sub: 'p' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1m').sign(new TextEncoder().encode(pem));
    expect(await reason(verifierFor({ AUTH_PUBLIC_KEY_FILE: path }).verify(forged))).toBe('invalid_signature');
  });

  it('rejects at load: a missing file, a private key, an algorithm the key cannot use', async () => {
    const loadError = configError;
    expect(loadError({ AUTH_PUBLIC_KEY_FILE: join(dir, 'absent.pem') })).toMatch(/^AUTH_PUBLIC_KEY_FILE=.*cannot be read/);
    const { privateKey, path } = await keyFile('ES256', 'ec-alg');
    const privatePath = join(dir, 'private.pem');
    await writeFile(privatePath, await exportPKCS8(privateKey));
    expect(loadError({ AUTH_PUBLIC_KEY_FILE: privatePath })).toMatch(/^AUTH_PUBLIC_KEY_FILE=.*BEGIN PUBLIC KEY/);
    expect(loadError({ AUTH_PUBLIC_KEY_FILE: path, AUTH_ALGORITHMS: 'RS256' })).toMatch(/^AUTH_ALGORITHMS=.*"RS256" cannot be used with AUTH_PUBLIC_KEY_FILE/);
  });
});
