import { DEFAULT_MAX_PAYLOAD_BYTES, defineSettings, setting, type ResolvedSettings } from '@app/core/driver';

/**
 * Every setting of the example driver, declared once: the options of `ExampleBusOptions` (but
 * `logger`), their defaults and ranges, and the variables `BUS=@app/driver-example` reads.
 */
export const EXAMPLE_SETTINGS = defineSettings({
  historyPerChannel: setting.integer({ env: 'EXAMPLE_HISTORY_PER_CHANNEL', default: 100, min: 1, max: 100_000, description: 'Messages kept per channel for replay.' }),
  maxPayloadBytes: setting.integer({ env: 'EXAMPLE_MAX_PAYLOAD_BYTES', default: DEFAULT_MAX_PAYLOAD_BYTES, min: 1024, max: 16 * 1024 * 1024, description: 'Largest accepted message in bytes.' }),
  maxPendingPerSubscription: setting.integer({ default: 1000, min: 1, description: 'Messages waiting for one handler before the subscription ends.' }),
  closeTimeoutMs: setting.duration({ default: 5000, min: 0, max: 60_000, description: 'Longest wait of close() and unsubscribe() for a handler.' }),
});

/** The options with every default applied, as the bus reads them. */
export type ExampleSettings = ResolvedSettings<typeof EXAMPLE_SETTINGS.rows>;
