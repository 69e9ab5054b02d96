import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { deleteKeys } from '../../driver-redis/test/support/test-bus.js';
import { describeGameAcrossInstances } from './support/game-across-instances.js';

const prefix = `g${randomBytes(3).toString('hex')}:`;

describeGameAcrossInstances('redis', () => ({ REDIS_URL: inject('redisUrl'), REDIS_KEY_PREFIX: prefix }), () => deleteKeys(inject('redisUrl'), prefix));
