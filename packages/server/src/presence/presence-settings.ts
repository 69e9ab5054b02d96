import { BusError, envInt, type Env } from '@app/core';
import type { ServerConfig } from '../config.js';

export const PRESENCE_TTL_DEFAULT_MS = 15_000;
export const PRESENCE_TTL_RANGE = { min: 100, max: 3_600_000 };
export const PRESENCE_HEARTBEAT_DEFAULT_MS = 5_000;
const PRESENCE_HEARTBEAT_RANGE = { min: 50, max: 3_600_000 };

/** What the presence hub reads from the server config, checked together. */
export interface PresenceSettings {
  /** A remote instance not heard from for this long is dropped, its users leaving. */
  readonly ttlMs: number;
  /** Each instance with members says it is alive this often: one `alive` on the liveness channel, however many channels. */
  readonly heartbeatMs: number;
  readonly maxMembers: number;
  readonly syncMs: number;
  /** How often expired views are looked for: a quarter heartbeat, from 50 ms to 1 s. */
  readonly sweepMs: number;
}

function heartbeatProblem(heartbeatMs: number, ttlMs: number): BusError | undefined {
  if (heartbeatMs < ttlMs) return undefined;
  return new BusError(
    'config',
    `PRESENCE_HEARTBEAT_MS=${heartbeatMs} must be less than PRESENCE_TTL_MS=${ttlMs}: an instance is taken for dead when not heard from for the TTL, so it must say it is alive within it (a third of the TTL or less is best)`,
  );
}

/** PRESENCE_HEARTBEAT_MS, which must be less than PRESENCE_TTL_MS (read here too, for the check). */
export function loadPresenceHeartbeatMs(env: Env): number {
  const ttlMs = envInt(env, 'PRESENCE_TTL_MS', PRESENCE_TTL_DEFAULT_MS, PRESENCE_TTL_RANGE);
  const heartbeatMs = envInt(env, 'PRESENCE_HEARTBEAT_MS', PRESENCE_HEARTBEAT_DEFAULT_MS, PRESENCE_HEARTBEAT_RANGE);
  const problem = heartbeatProblem(heartbeatMs, ttlMs);
  if (problem !== undefined) throw problem;
  return heartbeatMs;
}

/** The settings, checked again: a config given as an object (tests, embedding) skips `loadConfig`. */
export function presenceSettings(
  config: Pick<ServerConfig, 'presenceTtlMs' | 'presenceHeartbeatMs' | 'presenceMaxMembers' | 'presenceSyncMs'>,
): PresenceSettings {
  const problem = heartbeatProblem(config.presenceHeartbeatMs, config.presenceTtlMs);
  if (problem !== undefined) throw problem;
  return {
    ttlMs: config.presenceTtlMs,
    heartbeatMs: config.presenceHeartbeatMs,
    maxMembers: config.presenceMaxMembers,
    syncMs: config.presenceSyncMs,
    sweepMs: Math.max(50, Math.min(1000, Math.floor(config.presenceHeartbeatMs / 4))),
  };
}
