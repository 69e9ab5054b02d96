import type { MessageBus } from '@app/core';
import type { Logger } from 'pino';
import type { UpgradeAuth } from './auth/upgrade-auth.js';
import type { ChannelFactory } from './channel-factory.js';
import type { ChannelHub } from './channel-hub.js';
import type { Clock } from './clock.js';
import type { ServerConfig } from './config.js';
import type { ServerMetrics } from './metrics.js';
import type { PresenceHub } from './presence/presence-hub.js';

/** What every connection of a server shares: one object, not one per connection. */
export interface ConnectionDeps {
  readonly config: ServerConfig;
  readonly logger: Logger;
  readonly metrics: ServerMetrics;
  readonly bus: MessageBus;
  readonly hub: ChannelHub;
  readonly presence: PresenceHub;
  /** The token check, for `refresh`; undefined when the server runs anonymous. */
  readonly auth: UpgradeAuth | undefined;
  /** The welcome frame, the same for every client of this server. */
  readonly welcome: string;
  /** The time token expiry and publish rates are measured in. */
  readonly clock: Clock;
  /** Makes the channels a client resumes with `since`. */
  readonly channels: ChannelFactory;
}
