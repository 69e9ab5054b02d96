import { errors } from 'jose';

/**
 * Why a token was refused. Callers branch on this, never on the message text.
 *
 * - `missing`: no token, or an empty one.
 * - `malformed`: not a compact JWS, bad base64url or JSON, an unsupported header.
 * - `invalid_signature`: the signature does not verify with any key we trust, the `alg` is not
 *   one we allow, or (JWKS) no key in the set matches the token's `kid`/`alg`.
 * - `expired`: `exp` is in the past by more than the clock tolerance.
 * - `not_yet_valid`: `nbf` (or `iat`) is in the future by more than the clock tolerance.
 * - `wrong_issuer`, `wrong_audience`: `iss` / `aud` is not the configured one.
 * - `invalid_claims`: a required claim (`sub`, `exp`) is missing or has the wrong type or size.
 * - `key_unavailable`: the keys could not be had (JWKS unreachable, timed out, not a key set);
 *   the only reason where the same token may verify later.
 */
export type TokenErrorReason =
  | 'missing'
  | 'malformed'
  | 'invalid_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'invalid_claims'
  | 'key_unavailable';

/**
 * The one error a token verifier rejects with. The message is written here from the reason and,
 * for claim failures, the claim's name: it never contains the token or any part of it, so it is
 * safe for logs and for a close frame. `cause` keeps jose's error for debugging; jose's errors
 * carry at most the decoded claims, never the compact token.
 */
export class TokenError extends Error {
  override readonly name = 'TokenError';
  readonly reason: TokenErrorReason;

  constructor(reason: TokenErrorReason, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.reason = reason;
  }
}

/** Type guard that also works across copies of this module. */
export function isTokenError(value: unknown): value is TokenError {
  return (
    value instanceof TokenError ||
    (value instanceof Error && value.name === 'TokenError' && typeof (value as { reason?: unknown }).reason === 'string')
  );
}

function claimFailure(claim: string, cause: unknown): TokenError {
  switch (claim) {
    case 'nbf':
    case 'iat':
      // jose reports an `iat` in the future as an `iat` failure; to a client both mean "too early".
      return new TokenError('not_yet_valid', `token is not valid yet ("${claim}" claim)`, { cause });
    case 'iss':
      return new TokenError('wrong_issuer', 'token has the wrong issuer ("iss" claim)', { cause });
    case 'aud':
      return new TokenError('wrong_audience', 'token has the wrong audience ("aud" claim)', { cause });
    default:
      return new TokenError('invalid_claims', `token has a missing or invalid "${claim}" claim`, { cause });
  }
}

/**
 * Maps anything `jwtVerify` or a key lookup throws to a `TokenError`: the one place that knows
 * jose's error codes. `usesRemoteKeys` tells a network failure (fetch rejects with a plain
 * `TypeError`, not a jose error) from a bug: only a JWKS verifier fetches anything.
 */
export function toTokenError(error: unknown, usesRemoteKeys: boolean): TokenError {
  if (isTokenError(error)) return error;
  if (error instanceof errors.JOSEError) {
    switch (error.code) {
      case 'ERR_JWT_EXPIRED':
        return new TokenError('expired', 'token has expired ("exp" claim)', { cause: error });
      case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
        return claimFailure(error instanceof errors.JWTClaimValidationFailed ? error.claim : 'unknown', error);
      case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
        return new TokenError('invalid_signature', 'token signature does not verify', { cause: error });
      case 'ERR_JOSE_ALG_NOT_ALLOWED':
        return new TokenError('invalid_signature', 'token is signed with an algorithm that is not allowed', { cause: error });
      case 'ERR_JWKS_NO_MATCHING_KEY':
      case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
        // The key set was reachable; it just holds no key that verifies this token.
        return new TokenError('invalid_signature', 'no trusted key matches the token', { cause: error });
      case 'ERR_JWS_INVALID':
      case 'ERR_JWT_INVALID':
      case 'ERR_JOSE_NOT_SUPPORTED':
        return new TokenError('malformed', 'token is not a well-formed signed JWT', { cause: error });
      case 'ERR_JWKS_TIMEOUT':
      case 'ERR_JWKS_INVALID':
        return new TokenError('key_unavailable', 'the signing keys could not be loaded', { cause: error });
      default:
        // ERR_JOSE_GENERIC from the JWKS fetch: a non-200 answer or a body that is not JSON.
        if (usesRemoteKeys) return new TokenError('key_unavailable', 'the signing keys could not be loaded', { cause: error });
        return new TokenError('malformed', 'token could not be verified', { cause: error });
    }
  }
  if (usesRemoteKeys) return new TokenError('key_unavailable', 'the signing keys could not be loaded', { cause: error });
  // A non-jose error without remote keys is a bug here or in jose; still a refusal, never a pass.
  return new TokenError('malformed', 'token could not be verified', { cause: error });
}
