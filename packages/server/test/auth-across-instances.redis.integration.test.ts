import { randomBytes } from 'node:crypto';
import { afterEach, describe, inject, it, onTestFinished } from 'vitest';
import { deleteKeys } from '../../driver-redis/test/support/test-bus.js';
import { authAcrossInstances, startAuthInstances } from './support/auth-across-instances.js';
import { killServerProcesses } from './support/server-process.js';

// The scenario stops the processes itself; this only catches a test that failed halfway.
afterEach(() => killServerProcesses());

describe('auth across server processes on Redis', () => {
  it('carries the sub as user to the other instance, enforces grants and refresh there, and no process logs a token', async () => {
    const run = randomBytes(3).toString('hex');
    onTestFinished(() => deleteKeys(inject('redisUrl'), `x${run}:`));
    const instances = await startAuthInstances({ BUS: 'redis', REDIS_URL: inject('redisUrl'), REDIS_KEY_PREFIX: `x${run}:` });
    await authAcrossInstances(instances, run);
  }, 120_000);
});
