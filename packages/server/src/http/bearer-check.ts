import type { ApiKeys } from './api-keys.js';
import type { ExtraHeaders } from './reply.js';

/** Why a request without a valid API key is refused: the 401's message and `WWW-Authenticate` header. */
export interface Unauthorized {
  readonly message: string;
  readonly headers: ExtraHeaders;
}

/**
 * Checks `Authorization: Bearer <key>` against the API keys, for every route that takes them.
 * `undefined`: the key is good. The message never repeats what was sent.
 */
export function unauthorized(keys: ApiKeys, authorization: string | undefined): Unauthorized | undefined {
  switch (keys.check(authorization)) {
    case 'ok':
      return undefined;
    case 'missing':
      return { message: 'an API key is needed: send Authorization: Bearer <key>', headers: { 'www-authenticate': 'Bearer' } };
    case 'invalid':
      return { message: 'the API key is not valid', headers: { 'www-authenticate': 'Bearer error="invalid_token"' } };
  }
}
