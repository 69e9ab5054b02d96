import { parseArgs } from 'node:util';
import { envList, envString, type Env } from '@app/core';
import { parseChannelGrants } from '../auth/channel-grants.js';
import type { SecretAlgorithm } from '../auth/token-algorithms.js';
import { loadAuthSettings } from '../auth/token-settings.js';
import { MAX_SUBJECT_LENGTH } from '../auth/token-verifier.js';

export const USAGE = `Usage: pnpm -s run token --sub <user> [options]

Prints a development token signed with AUTH_SECRET (from the environment, the same secret the
server uses) to stdout, and nothing else. Not "pnpm token": that is npm's own token command.
"-s" keeps pnpm's "> realtime-bus@ token" lines off stdout.

Options:
  --sub <user>        The token's "sub" (required), 1 to ${MAX_SUBJECT_LENGTH} characters.
  --channels <json>   The "channels" claim, e.g. '{"game:*":["subscribe","publish"]}'; unset: the
                      server's AUTH_DEFAULT_CHANNELS apply.
  --ttl <duration>    How long the token is valid: 30s, 15m, 2h, 1d, or seconds (default: 1h).
  --issuer <iss>      The "iss" claim (default: the first AUTH_ISSUER entry; unset: none).
  --audience <aud>    The "aud" claim (default: the first AUTH_AUDIENCE entry; unset: none).
  -h, --help          This text.

Example:
  AUTH_SECRET=... pnpm -s run token --sub alice --channels '{"game:*":["subscribe","publish"]}'
`;

/** Longest `--ttl`: a development token should not outlive a year. */
const MAX_TTL_S = 366 * 86_400;
const UNIT_S: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** What to sign, validated. */
export interface MintRequest {
  readonly sub: string;
  /** The `channels` claim as given (already checked by parseChannelGrants); undefined: no claim. */
  readonly channels: Record<string, unknown> | undefined;
  readonly ttlS: number;
  readonly issuer: string | undefined;
  readonly audience: string | undefined;
  readonly secret: Uint8Array;
  readonly algorithm: SecretAlgorithm;
}

/** `--ttl` in seconds: a whole number with an optional s, m, h or d unit. */
export function parseTtl(text: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(text.trim());
  const seconds = match === null ? Number.NaN : Number(match[1]) * (UNIT_S[match[2] || 's'] ?? Number.NaN);
  if (!Number.isSafeInteger(seconds) || seconds < 1 || seconds > MAX_TTL_S) {
    throw new Error(`--ttl ${JSON.stringify(text)} is not valid: expected a duration from 1s to 366d such as 30s, 15m, 2h, 1d, or a number of seconds`);
  }
  return seconds;
}

function parseChannels(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`--channels is not valid JSON: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  // The server's own parser, so a grant it would refuse fails here with the same message.
  parseChannelGrants(value, '--channels');
  return value as Record<string, unknown>;
}

/**
 * The secret and algorithm, read as the server reads them (only `AUTH_SECRET` and
 * `AUTH_ALGORITHMS`), so a too-short secret fails with the server's message and a server
 * limited to HS512 gets an HS512 token.
 */
function signingKey(env: Env): { secret: Uint8Array; algorithm: SecretAlgorithm } {
  const settings = loadAuthSettings({ AUTH_SECRET: env['AUTH_SECRET'], AUTH_ALGORITHMS: env['AUTH_ALGORITHMS'] });
  if (settings?.key.kind !== 'secret') {
    // A server on a public key verifies tokens that only the private key's holder can sign.
    const other = ['AUTH_PUBLIC_KEY_FILE', 'AUTH_JWKS_URL'].find((name) => envString(env, name) !== undefined);
    const hint = other === undefined ? '' : ` (${other} is set: such a server takes tokens signed with the private key, which this tool does not have)`;
    throw new Error(`AUTH_SECRET is not set: the token is signed with the server's shared secret, so set the same AUTH_SECRET (at least 32 bytes) here${hint}`);
  }
  const algorithm = settings.key.algorithms[0];
  if (algorithm === undefined) throw new Error('AUTH_ALGORITHMS allows no HMAC algorithm');
  return { secret: settings.key.secret, algorithm };
}

/**
 * Reads the command line (without node and the script) and the environment. Returns `'help'` for
 * `--help`; throws an Error whose message is one line for the user otherwise.
 */
export function mintRequest(argv: readonly string[], env: Env): MintRequest | 'help' {
  // `pnpm token -- --sub x` hands the `--` on; it separates nothing here.
  const args = argv[0] === '--' ? argv.slice(1) : [...argv];
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      sub: { type: 'string' },
      channels: { type: 'string' },
      ttl: { type: 'string', default: '1h' },
      issuer: { type: 'string' },
      audience: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return 'help';
  const sub = values.sub;
  if (sub === undefined) throw new Error('--sub is required: the user the token is for');
  const length = Array.from(sub).length;
  if (length < 1 || length > MAX_SUBJECT_LENGTH) throw new Error(`--sub must be 1 to ${MAX_SUBJECT_LENGTH} characters, got ${length}`);
  return {
    sub,
    channels: values.channels === undefined ? undefined : parseChannels(values.channels),
    ttlS: parseTtl(values.ttl),
    issuer: values.issuer ?? envList(env, 'AUTH_ISSUER', [])[0],
    audience: values.audience ?? envList(env, 'AUTH_AUDIENCE', [])[0],
    ...signingKey(env),
  };
}

