import type { DriverSetting, Env } from '@app/core';

const SECRET_NAME = /PASS|SECRET|TOKEN|CREDENTIAL|PRIVATE|API_?KEY|SASL/i;

/** Hides the password in `scheme://user:password@host` values. */
function withoutUrlPassword(value: string): string {
  return value.replace(/(\/\/[^:/@\s]+:)[^@/\s]+@/g, '$1***@');
}

/**
 * A driver's settings as they take effect (value or default), safe to log: values of settings
 * whose name suggests a secret are replaced, and passwords inside URLs are masked.
 */
export function describeDriverSettings(settings: readonly DriverSetting[], env: Env): Record<string, string> {
  const described: Record<string, string> = {};
  for (const setting of settings) {
    const raw = env[setting.env]?.trim();
    const value = raw === undefined || raw === '' ? setting.default : raw;
    described[setting.env] = SECRET_NAME.test(setting.env) && value !== '' ? '***' : withoutUrlPassword(value);
  }
  return described;
}
