import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { BusError, describeError } from '@app/core';

/** Where an OAUTHBEARER token comes from; `variable` names the setting in errors. */
export type OAuthTokenOrigin =
  | { readonly kind: 'command'; readonly variable: string; readonly command: string }
  | { readonly kind: 'file'; readonly variable: string; readonly path: string }
  | { readonly kind: 'fixed'; readonly variable: string; readonly token: string };

/** Longest a token command may run before the authentication fails. */
const COMMAND_TIMEOUT_MS = 30_000;
/**
 * A token is fetched again this long before its `exp`, or half its lifetime if shorter: kafkajs
 * re-authenticates 10 s before a session (bounded by the token's exp) ends, and must then get a
 * new token, not the one about to expire.
 */
const REFRESH_MARGIN_MS = 60_000;

/**
 * The `exp` of a JWT in ms since the epoch, or undefined when the token is not a JWT or has
 * none (an opaque token: fetched again on every authentication).
 */
export function jwtExpiryMs(token: string): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[1] === undefined) return undefined;
  try {
    const payload: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    const exp = payload !== null && typeof payload === 'object' ? (payload as { exp?: unknown }).exp : undefined;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

function unauthorized(message: string, cause?: unknown): BusError {
  // Not retryable: the same source gives the same answer until someone fixes it.
  return new BusError('unauthorized', message, { cause, retryable: false });
}

function runCommand(command: string, variable: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('/bin/sh', ['-c', command], { timeout: COMMAND_TIMEOUT_MS, maxBuffer: 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) {
        // Never the exec error's message or the error itself as cause: both quote the command, which may hold a client secret.
        const exit = error.killed ? `killed after ${COMMAND_TIMEOUT_MS} ms` : typeof error.code === 'number' ? `exit code ${error.code}` : `${error.signal ?? error.code ?? 'failed'}`;
        const stderrTail = stderr.trim().split('\n').slice(-3).join(' ');
        const detail = stderrTail === '' ? exit : `${exit}: ${stderrTail}`;
        reject(unauthorized(`${variable} failed to print an OAUTHBEARER token (${detail})`, new Error(`${variable} failed (${exit})`)));
      } else resolve(stdout);
    });
  });
}

async function fetchRaw(origin: OAuthTokenOrigin): Promise<string> {
  if (origin.kind === 'fixed') return origin.token;
  if (origin.kind === 'command') return runCommand(origin.command, origin.variable);
  try {
    return await readFile(origin.path, 'utf8');
  } catch (error) {
    throw unauthorized(`${origin.variable}=${origin.path} cannot be read: ${describeError(error)}`, error);
  }
}

/** One token from the origin, checked: not empty, one word, and a JWT not expired. */
async function fetchToken(origin: OAuthTokenOrigin, now: () => number): Promise<{ token: string; expiresAt?: number; refreshAt: number }> {
  const token = (await fetchRaw(origin)).trim();
  if (token.length === 0) throw unauthorized(`${origin.variable} gave an empty OAUTHBEARER token`);
  if (/\s/.test(token)) throw unauthorized(`${origin.variable} gave an OAUTHBEARER token with whitespace inside (expected one token, e.g. a JWT)`);
  const expiresAt = jwtExpiryMs(token);
  if (expiresAt === undefined) return { token, refreshAt: 0 };
  const left = expiresAt - now();
  if (left <= 0) throw unauthorized(`the OAUTHBEARER token from ${origin.variable} expired at ${new Date(expiresAt).toISOString()}`);
  return { token, expiresAt, refreshAt: expiresAt - Math.min(REFRESH_MARGIN_MS, left / 2) };
}

/**
 * A token provider for `sasl.token`: fetches from the origin, keeps a JWT until shortly before its
 * `exp` and then fetches again (a file is re-read, a command re-run, so a rotated token is picked
 * up). Rejects with a non-retryable `unauthorized` `BusError` naming the variable when the source
 * fails, is empty, or yields a JWT that has already expired; a failed refresh while the last JWT is
 * still valid hands out that one instead (tried again on the next call). Concurrent calls share one
 * fetch. The token itself is never in a message.
 */
export function oauthTokenProvider(origin: OAuthTokenOrigin, now: () => number = Date.now): () => Promise<string> {
  let cached: { token: string; refreshAt: number; expiresAt: number } | undefined;
  // Every broker connection authenticates at about the same time: they share one fetch, not one command run each.
  let inFlight: Promise<string> | undefined;
  const next = async (): Promise<string> => {
    const previous = cached;
    try {
      const fresh = await fetchToken(origin, now);
      cached = fresh.expiresAt === undefined ? undefined : { token: fresh.token, refreshAt: fresh.refreshAt, expiresAt: fresh.expiresAt };
      return fresh.token;
    } catch (error) {
      // A refresh that fails (identity provider down, a file being rewritten) while the current token is still
      // valid keeps the session on that token; the next authentication tries again. Only an expired one fails.
      if (previous !== undefined && now() < previous.expiresAt) return previous.token;
      cached = undefined;
      throw error;
    }
  };
  return async () => {
    if (cached !== undefined && now() < cached.refreshAt) return cached.token;
    inFlight ??= next().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
}
