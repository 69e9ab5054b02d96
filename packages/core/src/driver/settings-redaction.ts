import type { Env } from '../env.js';
import type { DriverSetting } from '../registry.js';

/**
 * Names that looked secret to the server before settings carried a `secret` flag. Only used for
 * drivers that flag no setting at all, so nothing those drivers had hidden becomes visible.
 */
export const LEGACY_SECRET_NAME = /PASS|SECRET|TOKEN|CREDENTIAL|PRIVATE|API_?KEY|SASL/i;

/** What a masked value shows instead. */
export const MASK = '***';

/**
 * Hides the password of every `scheme://user:password@host` in `value` (also `scheme://:password@host`,
 * Redis's form without a user, and each URL of a comma-separated list). Everything else is kept.
 */
export function maskUrlPasswords(value: string): string {
  return value.replace(/(\/\/[^:/@\s,]*:)[^@\s/,]+@/g, `$1${MASK}@`);
}

/**
 * Whether a setting's value must not be shown. By the `secret` flag when any setting of the
 * same driver sets it (`true` or `false`); when none does (a driver written before the flag),
 * by {@link LEGACY_SECRET_NAME} on the variable's name.
 */
export function isSecretSetting(setting: DriverSetting, settings: readonly DriverSetting[]): boolean {
  const flagged = settings.some((candidate) => candidate.secret !== undefined);
  return flagged ? setting.secret === true : LEGACY_SECRET_NAME.test(setting.env);
}

/**
 * A driver's settings as they take effect, safe to log: for each variable its value from `env`
 * (trimmed; a blank one counts as unset) or else its documented default. A secret (see
 * {@link isSecretSetting}) with a non-empty value shows as `***`; an empty one stays `''` so the log
 * still tells "not set"; every other value has URL passwords masked ({@link maskUrlPasswords}).
 */
export function describeSettings(settings: readonly DriverSetting[], env: Env): Record<string, string> {
  const described: Record<string, string> = {};
  for (const setting of settings) {
    const raw = env[setting.env]?.trim();
    const value = raw === undefined || raw === '' ? setting.default : raw;
    described[setting.env] = isSecretSetting(setting, settings) && value !== '' ? MASK : maskUrlPasswords(value);
  }
  return described;
}
