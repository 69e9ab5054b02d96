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
 * `token` is asked on every (re)authentication.
 */
export function oauthBearerMechanism(token: () => string | Promise<string>): Mechanism {
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
        const request = { encode: () => frame(`n,,${SOH}auth=Bearer ${value}${SOH}${SOH}`) };
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
