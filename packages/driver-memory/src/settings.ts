import { DEFAULT_MAX_PAYLOAD_BYTES } from '@app/core';
import { defineSettings, setting } from '@app/core/driver';

/**
 * Every setting of the memory driver: the options of {@link MemoryBusOptions} (but `logger`) and
 * the `MEMORY_*` variables `BUS=memory` reads. One range per setting, for code and environment alike.
 */
export const MEMORY_SETTINGS = defineSettings({
  historyPerChannel: setting.integer({ env: 'MEMORY_HISTORY_PER_CHANNEL', default: 1000, min: 1, max: 1_000_000, description: 'Messages kept per channel for replay.' }),
  historyTotal: setting.integer({ env: 'MEMORY_HISTORY_TOTAL', default: 100_000, min: 1, max: 10_000_000, description: 'Messages kept across all channels.' }),
  maxPayloadBytes: setting.integer({ env: 'MEMORY_MAX_PAYLOAD_BYTES', default: DEFAULT_MAX_PAYLOAD_BYTES, min: 1024, max: 64 * 1024 * 1024, description: 'Largest accepted message in bytes.' }),
  maxPendingPerSubscription: setting.integer({ default: 10_000, min: 1, description: 'Messages waiting for one subscription handler.' }),
  redeliveryDelayMs: setting.duration({ default: 50, min: 0, description: 'Pause before a failed group message is handed out again.' }),
  closeTimeoutMs: setting.duration({ default: 5000, min: 0, description: 'How long close() lets queued deliveries finish.' }),
});
