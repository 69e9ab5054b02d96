import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it, onTestFinished } from 'vitest';
import { deleteKeys } from '../../driver-redis/test/support/test-bus.js';
import { PRESENCE_HEARTBEAT_MS, PRESENCE_TTL_MS, presenceAcrossInstances } from './support/presence-across-instances.js';
import { killServerProcesses } from './support/server-process.js';

// The scenario stops the processes itself; this only catches a test that failed halfway.
afterEach(() => killServerProcesses());

describe('presence across server processes on Redis', () => {
  it('joins and leaves reach the other instance, users are listed once, a killed instance\'s users leave within TTL + heartbeat, a restart lists them once', async () => {
    const run = randomBytes(3).toString('hex');
    onTestFinished(() => deleteKeys(inject('redisUrl'), `x${run}:`));
    const { leaveAfterKillMs } = await presenceAcrossInstances({ BUS: 'redis', REDIS_URL: inject('redisUrl'), REDIS_KEY_PREFIX: `x${run}:` }, run);
    console.info(`Redis: users of the SIGKILLed instance left ${leaveAfterKillMs.join(' and ')} ms after the kill (TTL ${PRESENCE_TTL_MS}, heartbeat ${PRESENCE_HEARTBEAT_MS})`);
    expect(leaveAfterKillMs).toHaveLength(2);
    // Only the liveness channel's alives (and byes) are ephemeral: they leave no stream behind. The
    // channel messages (joins, leaves, syncs, states) are stored, so a follower catches up what it missed.
    const redis = new Redis(inject('redisUrl'));
    try {
      const keys = await redis.keys(`x${run}:{presence.*`);
      expect(keys.filter((key) => key.includes('_instances')), 'no `{presence._instances}:presence._instances` stream').toEqual([]);
      const channelStream = `x${run}:{presence.room}:presence.room:${run}`;
      expect(keys).toContain(channelStream);
      expect(await redis.xlen(channelStream), 'the joins, leaves, syncs and states of the scenario').toBeGreaterThan(0);
    } finally {
      redis.disconnect();
    }
  }, 180_000);
});
