import { describeError } from '@app/core';
import type { AuthenticationProviderArgs, Mechanism } from 'kafkajs';

/** RFC 7628: separates the fields of the client's first message; alone it ends a failed exchange. */
const SOH = '\u0001';

/** The bytes of a SASL frame: kafkajs hands them with their int32 length prefix (as for SCRAM). */
function unframe(raw: Buffer): Buffer {
  return raw.length >= 4 && raw.readInt32BE(0) === raw.length - 4 ? raw.subarray(4) : raw;
}

function frame(text: string): Buffer {
  const body = Buffer.from(text, 'utf8');
  const out = Buffer.alloc(4 + body.length);
  out.writeInt32BE(body.length, 0);
  body.copy(out, 4);
  return out;
}

/**
 * Why SASL extensions cannot be sent, or undefined when they can: RFC 7628 keys are letters only
 * (`auth` is the token's own), values printable ASCII with spaces (no \u0001 to end the field).
 */
export function extensionsProblem(extensions: unknown): string | undefined {
  if (extensions === null || typeof extensions !== 'object' || Array.isArray(extensions)) return 'must be an object of key: value strings';
  for (const [key, value] of Object.entries(extensions)) {
    if (!/^[A-Za-z]+$/.test(key) || key === 'auth') return `"${key}" is not an extension key (letters only, not auth)`;
    if (typeof value !== 'string' || !/^[\x21-\x7e][\x20-\x7e]*$/.test(value)) return `the value of ${key} must be printable ASCII`;
  }
  return undefined;
}

/**
 * A refused OAUTHBEARER authentication. `retriable: false` makes kafkajs give up at once (its
 * retrier checks that field); map-error.ts maps the name to `unauthorized`. Not kafkajs's own
 * KafkaJSSASLAuthenticationError: Node's ESM loader cannot see that export of the CommonJS package.
 */
export class OAuthBearerAuthenticationError extends Error {
  override readonly name = 'OAuthBearerAuthenticationError';
  readonly retriable = false;
}

function failed(message: string): Error {
  return new OAuthBearerAuthenticationError(`SASL OAUTHBEARER authentication failed: ${message}`);
}

/**
 * SASL OAUTHBEARER for kafkajs, replacing its built-in one: kafkajs 2.2.4 takes the broker's error
 * challenge (`{"status":"invalid_token"}`, RFC 7628 section 3.2.2) for a success, the broker then
 * drops the connection and the caller only ever sees "No brokers in the broker pool". This one
 * answers the challenge as the RFC says and throws a non-retryable
 * {@link OAuthBearerAuthenticationError} with the broker's reason; a failing `token()` is thrown the
 * same way, with its message, and so is a token that is not one printable word (it is never quoted).
 * `token` is asked on every (re)authentication; `extensions` (checked by {@link extensionsProblem}) go
 * with it as RFC 7628 key=value fields.
 */
export function oauthBearerMechanism(token: () => string | Promise<string>, extensions: Readonly<Record<string, string>> = {}): Mechanism {
  const extra = Object.entries(extensions).map(([key, value]) => `${key}=${value}${SOH}`).join('');
  return {
    mechanism: 'oauthbearer',
    authenticationProvider: ({ saslAuthenticate }: AuthenticationProviderArgs) => ({
      async authenticate() {
        let value: string;
        try {
          value = await token();
        } catch (error) {
          throw failed(`no token: ${describeError(error)}`);
        }
        if (typeof value !== 'string' || value.length === 0) throw failed('no token: the token source returned nothing');
        // A bearer token is printable ASCII without spaces (RFC 6750 b64token); a \u0001 inside would add SASL fields.
        if (!/^[\x21-\x7e]+$/.test(value)) throw failed('the token holds white space, a control or a non-ASCII character (expected one token, e.g. a JWT)');
        const request = { encode: () => frame(`n,,${SOH}auth=Bearer ${value}${SOH}${extra}${SOH}`) };
        const response = { decode: (raw: Buffer) => unframe(raw), parse: (data: Buffer) => data.toString('utf8') };
        const challenge = await saslAuthenticate({ request, response });
        if (typeof challenge !== 'string' || challenge.length === 0) return; // success: the broker sent nothing back
        // The RFC's dummy reply; the broker answers it with the final failure (the same JSON).
        await saslAuthenticate({ request: { encode: () => frame(SOH) } }).catch(() => {});
        throw failed(`the broker refused the token: ${challenge}`);
      },
    }),
  };
}
