import type { DriverSetting } from '@app/core';
import type { ConfigSetting } from './config.js';

function table(rows: readonly (ConfigSetting | DriverSetting)[]): string {
  const width = Math.max(...rows.map((row) => row.env.length));
  // Only the flag marks a secret here: the name pattern is a logging fallback, not a claim.
  const secret = (row: ConfigSetting | DriverSetting): string => ('secret' in row && row.secret === true ? ' [secret: never logged]' : '');
  return rows.map((row) => `  ${row.env.padEnd(width)}  ${row.description} (default: ${row.default})${secret(row)}`).join('\n');
}

/**
 * The `--help` text: server settings, then those of the driver `BUS` selects, a driver setting
 * flagged `secret` marked `[secret: never logged]`. `busValue` is `BUS`
 * as given: a driver package is named in full there, whatever short name the driver gives itself.
 */
export function helpText(server: readonly ConfigSetting[], driverName: string, driver: readonly DriverSetting[], busValue: string = driverName): string {
  return [
    'Usage: pnpm start   (configured through environment variables)',
    '',
    'Server settings:',
    table(server),
    '',
    `Settings of the "${driverName}" driver (BUS=${busValue}):`,
    driver.length === 0 ? '  (none)' : table(driver),
    '',
  ].join('\n');
}
