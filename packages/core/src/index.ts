export type {
  BusLimits,
  BusSecurity,
  BusStatus,
  DeliveryMode,
  Message,
  MessageBus,
  MessageHandler,
  PublishOptions,
  PublishReceipt,
  ReplayStart,
  SubscribeOptions,
  Subscription,
} from './message-bus.js';
export { ALL_FEATURES, type BusFeature } from './features.js';
export { BusError, describeError, isBusError, type BusErrorOptions, type BusErrorReason } from './errors.js';
export { MAX_CHANNEL_LENGTH, channelNamespace, channelProblem, defaultDeadLetterChannel, validateChannel } from './channel.js';
export { DEFAULT_MAX_PAYLOAD_BYTES, decodeData, encodeData, preparePublish, type PreparedPublish } from './encoding.js';
export { lazyMessage, type LazyMessageFields } from './lazy-message.js';
export {
  DEAD_LETTER_HEADERS,
  DEFAULT_MAX_ATTEMPTS,
  deadLetterHeaders,
  resolveSubscribeOptions,
  type ResolvedSubscribeOptions,
} from './subscribe-options.js';
export { DeliveryQueue } from './delivery-queue.js';
export { reportSubscriptionError } from './subscription-errors.js';
export { delay, withTimeout } from './timing.js';
export { envBool, envChoice, envInt, envList, envString, type Env } from './env.js';
export { silentLogger, type BusLogger } from './logger.js';
export {
  BUILT_IN_DRIVERS,
  defineBusDriver,
  loadBusDriver,
  type BusDriver,
  type DriverContext,
  type DriverSetting,
  type ModuleImporter,
} from './registry.js';
