import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { BusError, describeError, envInt, envList, envString, type Env } from '@app/core';
import {
  DEFAULT_JWKS_ALGORITHMS,
  PUBLIC_KEY_ALGORITHMS,
  SECRET_ALGORITHMS,
  algorithmsForKey,
  inferAlgorithm,
  type PublicKeyAlgorithm,
  type SecretAlgorithm,
} from './token-algorithms.js';

/** Shortest `AUTH_SECRET`, in bytes of its UTF-8 encoding: 256 bits, the HS256 key size. */
export const MIN_SECRET_BYTES = 32;

/** Where the verification keys come from: exactly one of the three `AUTH_*` key variables. */
export type AuthKeySource =
  | { readonly kind: 'secret'; readonly secret: Uint8Array; readonly algorithms: readonly SecretAlgorithm[] }
  | {
      readonly kind: 'public_key_file';
      readonly path: string;
      /** The SPKI PEM text, checked to be a public key that fits every algorithm below. */
      readonly pem: string;
      readonly algorithms: readonly PublicKeyAlgorithm[];
    }
  | { readonly kind: 'jwks'; readonly url: URL; readonly algorithms: readonly PublicKeyAlgorithm[] };

/** Token verification settings, validated. */
export interface AuthSettings {
  readonly key: AuthKeySource;
  /** Accepted `iss` values (any of them); `undefined`: `iss` is not checked. */
  readonly issuers: readonly string[] | undefined;
  /** Accepted `aud` values (the token must name one); `undefined`: `aud` is not checked. */
  readonly audiences: readonly string[] | undefined;
  /** Allowed clock skew, in seconds, for `exp`, `nbf` and `iat`. */
  readonly clockToleranceS: number;
}

/** One documented setting, in the shape of the server's `ConfigSetting`, for `--help` once wired. */
export const AUTH_SETTINGS: readonly { env: string; default: string; description: string }[] = [
  { env: 'AUTH_SECRET', default: '', description: `Shared HMAC secret (at least ${MIN_SECRET_BYTES} bytes) for HS256/384/512 tokens.` },
  { env: 'AUTH_PUBLIC_KEY_FILE', default: '', description: 'Path of a PEM public key (BEGIN PUBLIC KEY) for RS*, PS*, ES* or EdDSA tokens.' },
  { env: 'AUTH_JWKS_URL', default: '', description: 'URL of a JSON Web Key Set (https, or http on loopback only); fetched and cached as jose does.' },
  { env: 'AUTH_ALGORITHMS', default: '<by key>', description: 'Comma-separated accepted algorithms; default HS256, the key\'s own algorithm, or every public-key one for a JWKS.' },
  { env: 'AUTH_ISSUER', default: '', description: 'Comma-separated accepted "iss" values; unset: not checked.' },
  { env: 'AUTH_AUDIENCE', default: '', description: 'Comma-separated accepted "aud" values; unset: not checked.' },
  { env: 'AUTH_CLOCK_TOLERANCE_S', default: '5', description: 'Allowed clock skew in seconds for "exp", "nbf" and "iat".' },
];

const KEY_VARIABLES = ['AUTH_SECRET', 'AUTH_PUBLIC_KEY_FILE', 'AUTH_JWKS_URL'] as const;
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

function configError(message: string, cause?: unknown): BusError {
  return new BusError('config', message, cause === undefined ? {} : { cause });
}

/**
 * `AUTH_ALGORITHMS` checked against the algorithms the key source can use, or `undefined` when
 * unset. Naming an algorithm the key cannot verify is an error rather than silently ignored, so
 * a typo (or PS256 for an EC key) shows at start-up, not as every token failing.
 */
function allowedAlgorithms<T extends string>(env: Env, usable: readonly T[], keyVariable: string): T[] | undefined {
  const listed = envList(env, 'AUTH_ALGORITHMS', []);
  if (listed.length === 0) return undefined;
  return listed.map((name) => {
    const match = usable.find((alg) => alg.toLowerCase() === name.toLowerCase());
    if (match === undefined) {
      throw configError(
        `AUTH_ALGORITHMS=${JSON.stringify(listed.join(','))} is not valid: ${JSON.stringify(name)} cannot be used with ${keyVariable}; expected some of ${usable.join(', ')}`,
      );
    }
    return match;
  });
}

function secretSource(env: Env, raw: string): AuthKeySource {
  const secret = new TextEncoder().encode(raw);
  // The message gives the length, never the secret.
  if (secret.byteLength < MIN_SECRET_BYTES) {
    throw configError(`AUTH_SECRET is too short: ${secret.byteLength} bytes, expected at least ${MIN_SECRET_BYTES} (e.g. openssl rand -base64 48)`);
  }
  return { kind: 'secret', secret, algorithms: allowedAlgorithms(env, SECRET_ALGORITHMS, 'AUTH_SECRET') ?? ['HS256'] };
}

function publicKeyFileSource(env: Env, path: string): AuthKeySource {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    throw configError(`AUTH_PUBLIC_KEY_FILE=${JSON.stringify(path)} cannot be read: ${describeError(error)}`, error);
  }
  // importSPKI takes only SPKI ("BEGIN PUBLIC KEY"); createPublicKey would also accept a private
  // key and quietly derive its public half, and a private key has no business on this server.
  if (!pem.includes('-----BEGIN PUBLIC KEY-----')) {
    throw configError(`AUTH_PUBLIC_KEY_FILE=${JSON.stringify(path)} is not valid: expected a PEM public key (-----BEGIN PUBLIC KEY-----)`);
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch (error) {
    throw configError(`AUTH_PUBLIC_KEY_FILE=${JSON.stringify(path)} is not valid: ${describeError(error)}`, error);
  }
  const usable = algorithmsForKey(key);
  const inferred = inferAlgorithm(key);
  if (inferred === undefined) {
    throw configError(
      `AUTH_PUBLIC_KEY_FILE=${JSON.stringify(path)} is not valid: a ${key.asymmetricKeyType ?? 'unknown'} key fits no supported algorithm (${PUBLIC_KEY_ALGORITHMS.join(', ')})`,
    );
  }
  return { kind: 'public_key_file', path, pem, algorithms: allowedAlgorithms(env, usable, 'AUTH_PUBLIC_KEY_FILE') ?? [inferred] };
}

function jwksSource(env: Env, raw: string): AuthKeySource {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw configError(`AUTH_JWKS_URL=${JSON.stringify(raw)} is not valid: expected an absolute URL`);
  }
  // Keys fetched over plain HTTP can be swapped by anyone on the path, which forges every token.
  const secure = url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
  if (!secure) {
    throw configError(`AUTH_JWKS_URL=${JSON.stringify(raw)} is not valid: expected an https URL (http only on localhost)`);
  }
  return { kind: 'jwks', url, algorithms: allowedAlgorithms(env, PUBLIC_KEY_ALGORITHMS, 'AUTH_JWKS_URL') ?? DEFAULT_JWKS_ALGORITHMS };
}

/**
 * Reads and validates the token settings. Returns `undefined` when no key variable is set (no
 * auth configured; the caller decides whether that is allowed). Throws a `BusError` with reason
 * `config` whose message names the variable: two or three key variables at once, an
 * `AUTH_SECRET` under {@link MIN_SECRET_BYTES} bytes, an unreadable or non-public key file, a
 * non-https JWKS URL, an algorithm the key cannot use. Setting only `AUTH_ISSUER`,
 * `AUTH_AUDIENCE`, `AUTH_ALGORITHMS` or `AUTH_CLOCK_TOLERANCE_S` without a key is also an error:
 * it says the operator meant to turn auth on, and running open would be the wrong surprise.
 *
 * `AUTH_SECRET` is used as given (its UTF-8 bytes), not base64-decoded. Reading the key file is
 * synchronous: this runs once at start-up, like the rest of the configuration.
 */
export function loadAuthSettings(env: Env): AuthSettings | undefined {
  const given = KEY_VARIABLES.filter((name) => envString(env, name) !== undefined);
  if (given.length > 1) {
    throw configError(`${given.join(' and ')} are both set: expected exactly one source of token keys`);
  }
  const keyVariable = given[0];
  if (keyVariable === undefined) {
    const stray = ['AUTH_ALGORITHMS', 'AUTH_ISSUER', 'AUTH_AUDIENCE', 'AUTH_CLOCK_TOLERANCE_S'].find((name) => envString(env, name) !== undefined);
    if (stray !== undefined) {
      throw configError(`${stray} is set but no token key is: set one of ${KEY_VARIABLES.join(', ')}`);
    }
    return undefined;
  }
  // envString trims; a secret with deliberate outer spaces would lose them, which is acceptable.
  const value = envString(env, keyVariable) ?? '';
  const key =
    keyVariable === 'AUTH_SECRET' ? secretSource(env, value)
    : keyVariable === 'AUTH_PUBLIC_KEY_FILE' ? publicKeyFileSource(env, value)
    : jwksSource(env, value);
  const issuers = envList(env, 'AUTH_ISSUER', []);
  const audiences = envList(env, 'AUTH_AUDIENCE', []);
  return {
    key,
    issuers: issuers.length > 0 ? issuers : undefined,
    audiences: audiences.length > 0 ? audiences : undefined,
    clockToleranceS: envInt(env, 'AUTH_CLOCK_TOLERANCE_S', 5, { min: 0, max: 600 }),
  };
}
