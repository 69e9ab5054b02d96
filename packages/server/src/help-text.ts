import type { DriverSetting } from '@app/core';
import type { ConfigSetting } from './config.js';

function table(rows: readonly (ConfigSetting | DriverSetting)[]): string {
  const width = Math.max(...rows.map((row) => row.env.length));
  return rows.map((row) => `  ${row.env.padEnd(width)}  ${row.description} (default: ${row.default})`).join('\n');
}

/** The `--help` text: server settings, then those of the driver `BUS` selects. */
export function helpText(server: readonly ConfigSetting[], driverName: string, driver: readonly DriverSetting[]): string {
  return [
    'Usage: pnpm start   (configured through environment variables)',
    '',
    'Server settings:',
    table(server),
    '',
    `Settings of the "${driverName}" driver (BUS=${driverName}):`,
    driver.length === 0 ? '  (none)' : table(driver),
    '',
  ].join('\n');
}
