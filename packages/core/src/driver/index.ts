/**
 * `@app/core/driver`: what a driver author builds a bus from. Users of a bus import `@app/core`;
 * this entry point holds the shared machinery every driver in this workspace is written on.
 *
 * - {@link DriverSubscription}: the subscription skeleton (bounded queue, handler error path,
 *   end exactly once, bounded drain, `position_expired` for a broadcast subscriber past its
 *   bound); a driver subclasses it and fills in `detach`, and optionally `settled` and `afterStop`.
 * - {@link BusLifecycle}: close once, `closed` checks, publishes close waits for, subscriptions
 *   close ends, all bounded by the bus's `closeTimeoutMs`.
 * - Input checks every driver runs the same way: {@link preparePublish} (returns the encoded
 *   publish) and {@link resolveSubscribeOptions} (returns the options with defaults).
 * - Messages: {@link lazyMessage}, {@link decodeData}, {@link deadLetterHeaders}.
 * - Plumbing: {@link DeliveryQueue}, {@link reportSubscriptionError}, {@link withTimeout},
 *   {@link delay}, {@link asError}.
 * - Settings: {@link defineSettings} and its kinds, for the option resolver, env mapping and `--help`.
 *
 * The same helpers stay exported from `@app/core` too, so a driver written against it keeps working.
 */
export { defineSettings, type EnvSettings, type ResolvedSettings, type SettingsOptions, type SettingsShape, type SettingsTable } from './settings-table.js';
export { setting, type AnySetting, type Setting, type SettingCheck, type SettingKind, type SettingSpec } from './settings-kinds.js';
export { LEGACY_SECRET_NAME, describeSettings, isSecretSetting, maskUrlPasswords } from './settings-redaction.js';
export { DriverSubscription, asError, type DriverSubscriptionSettings } from './driver-subscription.js';
export { BusLifecycle } from './bus-lifecycle.js';
export { DeliveryQueue, type ConsumerFailure } from '../delivery-queue.js';
export { reportSubscriptionError } from '../subscription-errors.js';
export { delay, withTimeout } from '../timing.js';
export { DEFAULT_MAX_PAYLOAD_BYTES, decodeData, encodeData, preparePublish, type PreparedPublish } from '../encoding.js';
export { lazyMessage, type LazyMessageFields } from '../lazy-message.js';
export {
  DEAD_LETTER_HEADERS,
  DEFAULT_MAX_ATTEMPTS,
  deadLetterHeaders,
  resolveSubscribeOptions,
  type ResolvedSubscribeOptions,
} from '../subscribe-options.js';
