import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { deleteKeys } from '../../driver-redis/test/support/test-bus.js';
import { describeDemoAcrossInstances } from './support/demo-across-instances.js';

const prefix = `d${randomBytes(3).toString('hex')}:`;

describeDemoAcrossInstances('redis', () => ({ REDIS_URL: inject('redisUrl'), REDIS_KEY_PREFIX: prefix }), () => deleteKeys(inject('redisUrl'), prefix));
