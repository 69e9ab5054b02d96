import { BusError, envString, type Env } from '@app/core';

/** `AUTH`, documented next to `AUTH_SETTINGS` for `--help`. */
export const AUTH_MODE_SETTING = {
  env: 'AUTH',
  default: '',
  description: 'Only "none": run anonymous on purpose, which NODE_ENV=production requires when no AUTH_* key is set; an error together with a key.',
} as const;

/** The key variables that turn auth on (token-settings.ts reads them; named here for the messages). */
const KEY_VARIABLES = ['AUTH_SECRET', 'AUTH_PUBLIC_KEY_FILE', 'AUTH_JWKS_URL'] as const;

/** Whether the upgrade checks tokens (a key variable is set) or every client is anonymous. */
export type AuthModeKind = 'token' | 'anonymous';

/**
 * Decides, before any key is read, whether this server checks tokens, and refuses the two
 * surprises: a production server that is open only because a variable was forgotten, and an
 * `AUTH=none` that a key variable contradicts. Throws a `config` `BusError` naming the variable:
 * - `AUTH` set to anything but `none`;
 * - `AUTH=none` together with `AUTH_SECRET`, `AUTH_PUBLIC_KEY_FILE` or `AUTH_JWKS_URL`;
 * - `NODE_ENV=production` with none of those and no `AUTH=none`.
 *
 * Outside production a server without a key stays anonymous, as before (start-server warns).
 */
export function checkAuthMode(env: Env): AuthModeKind {
  const mode = envString(env, 'AUTH');
  if (mode !== undefined && mode.toLowerCase() !== 'none') {
    throw new BusError('config', `AUTH=${JSON.stringify(mode)} is not valid: expected none (to run without tokens on purpose) or unset`);
  }
  const keys = KEY_VARIABLES.filter((name) => envString(env, name) !== undefined);
  if (mode !== undefined) {
    if (keys.length > 0) {
      throw new BusError('config', `AUTH=none and ${keys.join(' and ')} are both set: unset AUTH to check tokens, or unset ${keys.join(' and ')} to run anonymous`);
    }
    return 'anonymous';
  }
  if (keys.length > 0) return 'token';
  if (envString(env, 'NODE_ENV')?.toLowerCase() === 'production') {
    throw new BusError(
      'config',
      `NODE_ENV=production and no token key is set: set one of ${KEY_VARIABLES.join(', ')}, or AUTH=none to let every client connect anonymously on purpose`,
    );
  }
  return 'anonymous';
}
