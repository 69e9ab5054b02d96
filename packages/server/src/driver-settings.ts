import type { DriverSetting, Env } from '@app/core';
import { describeSettings } from '@app/core/driver';

/**
 * A driver's settings as they take effect (value or default), safe to log. Settings flagged
 * `secret: true` show as `***` (empty when unset); passwords inside URLs are masked in every
 * other value. A driver that flags none of its settings (written before the flag) keeps the old
 * rule: names matching `PASS|SECRET|TOKEN|CREDENTIAL|PRIVATE|API_?KEY|SASL` are hidden, so nothing
 * it had hidden becomes visible.
 */
export function describeDriverSettings(settings: readonly DriverSetting[], env: Env): Record<string, string> {
  return describeSettings(settings, env);
}
