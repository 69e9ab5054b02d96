import { createRemoteJWKSet, importSPKI, jwtVerify, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import { TokenError, toTokenError } from './token-error.js';
import type { AuthSettings } from './token-settings.js';

/** Longest accepted `sub`, in characters (code points). */
export const MAX_SUBJECT_LENGTH = 128;

/** A token that passed every check. */
export interface VerifiedToken {
  /** The `sub` claim: 1 to {@link MAX_SUBJECT_LENGTH} characters. */
  readonly sub: string;
  /** The `exp` claim in milliseconds since the epoch (jose gives seconds), ready for `Date.now()` comparisons and timers. */
  readonly exp: number;
  /** Every claim, as decoded, for callers that read their own (e.g. channel grants). */
  readonly claims: Readonly<JWTPayload>;
}

export interface TokenVerifier {
  /**
   * Verifies a compact JWS token: signature and allowed `alg` first, then `exp` (required),
   * `nbf` and `iat` when present (with the clock tolerance), `iss` and `aud` when configured,
   * and a `sub` string of 1 to 128 characters. Rejects only with a {@link TokenError}; the
   * token never appears in its message.
   */
  verify(token: string): Promise<VerifiedToken>;
}

/**
 * The key lookup for `jwtVerify`, always a function so there is one call shape. A key file is imported once per allowed algorithm, because a
 * WebCrypto key is bound to one algorithm (an RSA key as RS256 cannot verify PS256); the header's
 * `alg` picks it, and `jwtVerify` has already refused any `alg` outside the allowed list. The
 * JWKS function is jose's own: it fetches on first use, caches for 10 minutes, refetches at most
 * every 30 seconds when a token names an unknown `kid`, and gives up on a fetch after 5 seconds.
 */
function keyFor(settings: AuthSettings): JWTVerifyGetKey {
  const source = settings.key;
  switch (source.kind) {
    case 'secret': {
      const secret = source.secret;
      return () => secret;
    }
    case 'jwks':
      return createRemoteJWKSet(source.url);
    case 'public_key_file': {
      const imported = new Map(source.algorithms.map((alg) => [alg, importSPKI(source.pem, alg)] as const));
      // Imported eagerly so the first connection does not pay for it; a failed import surfaces
      // on verify (as `key_unavailable`), not as an unhandled rejection.
      for (const pending of imported.values()) pending.catch(() => undefined);
      return async (header) => {
        const pending = imported.get(header.alg as (typeof source.algorithms)[number]);
        if (pending === undefined) throw new TokenError('invalid_signature', 'token is signed with an algorithm that is not allowed');
        try {
          return await pending;
        } catch (error) {
          throw new TokenError('key_unavailable', 'the public key could not be imported', { cause: error });
        }
      };
    }
  }
}

function checkedSubject(sub: unknown): string {
  const length = typeof sub === 'string' ? Array.from(sub).length : 0;
  if (typeof sub !== 'string' || length < 1 || length > MAX_SUBJECT_LENGTH) {
    throw new TokenError('invalid_claims', `token has a missing or invalid "sub" claim (expected a string of 1 to ${MAX_SUBJECT_LENGTH} characters)`);
  }
  return sub;
}

/**
 * Builds the verifier for validated settings. Cheap and synchronous; keep one per process so a
 * JWKS is fetched and cached once, not per connection.
 */
export function createTokenVerifier(settings: AuthSettings): TokenVerifier {
  const key = keyFor(settings);
  const usesRemoteKeys = settings.key.kind === 'jwks';
  const options: JWTVerifyOptions = {
    algorithms: [...settings.key.algorithms],
    requiredClaims: ['sub', 'exp'],
    clockTolerance: settings.clockToleranceS,
    ...(settings.issuers === undefined ? {} : { issuer: [...settings.issuers] }),
    ...(settings.audiences === undefined ? {} : { audience: [...settings.audiences] }),
  };
  return {
    async verify(token: string): Promise<VerifiedToken> {
      if (typeof token !== 'string' || token.trim() === '') throw new TokenError('missing', 'no token was given');
      try {
        const { payload } = await jwtVerify(token, key, options);
        const sub = checkedSubject(payload.sub);
        // requiredClaims and jose's own checks guarantee a numeric, unexpired `exp` here.
        const exp = (payload.exp ?? 0) * 1000;
        return { sub, exp, claims: payload };
      } catch (error) {
        throw toTokenError(error, usesRemoteKeys);
      }
    },
  };
}
