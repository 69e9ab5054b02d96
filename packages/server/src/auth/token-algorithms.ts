import type { KeyObject } from 'node:crypto';

/** HMAC algorithms, for a shared `AUTH_SECRET`. */
export const SECRET_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;

/**
 * Public-key algorithms, for `AUTH_PUBLIC_KEY_FILE` and `AUTH_JWKS_URL`. `EdDSA` and `Ed25519`
 * name the same Ed25519 signatures (the second is the RFC 9864 name); jose accepts both.
 */
export const PUBLIC_KEY_ALGORITHMS = [
  'RS256', 'RS384', 'RS512',
  'PS256', 'PS384', 'PS512',
  'ES256', 'ES384', 'ES512',
  'EdDSA', 'Ed25519',
] as const;

export type SecretAlgorithm = (typeof SECRET_ALGORITHMS)[number];
export type PublicKeyAlgorithm = (typeof PUBLIC_KEY_ALGORITHMS)[number];

/**
 * The algorithms a JWKS accepts when `AUTH_ALGORITHMS` is unset: every public-key algorithm.
 * Safe because each JWK pins its own key type, so a token cannot pick an algorithm its key does
 * not fit; HMAC is never allowed here, which rules out the "RSA key used as HMAC secret" attack.
 */
export const DEFAULT_JWKS_ALGORITHMS: readonly PublicKeyAlgorithm[] = PUBLIC_KEY_ALGORITHMS;

/** The algorithms that can verify with `key`, by its type and curve. */
export function algorithmsForKey(key: KeyObject): readonly PublicKeyAlgorithm[] {
  const details = key.asymmetricKeyDetails;
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
    case 'rsa-pss':
      return ['PS256', 'PS384', 'PS512'];
    case 'ec':
      if (details?.namedCurve === 'prime256v1') return ['ES256'];
      if (details?.namedCurve === 'secp384r1') return ['ES384'];
      if (details?.namedCurve === 'secp521r1') return ['ES512'];
      return [];
    case 'ed25519':
      return ['EdDSA', 'Ed25519'];
    default:
      return [];
  }
}

/**
 * The one algorithm inferred from a key when `AUTH_ALGORITHMS` is unset. An RSA key could sign
 * RS* or PS*; we pick RS256 (by far the most common issuer default) and anyone using PS* must
 * say so, rather than accepting six algorithms for one key by accident. `undefined` for key
 * types no JWS algorithm fits (e.g. X25519, DSA, a secp256k1 curve).
 */
export function inferAlgorithm(key: KeyObject): PublicKeyAlgorithm | undefined {
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  if (key.asymmetricKeyType === 'rsa-pss') return 'PS256';
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  return algorithmsForKey(key)[0];
}
