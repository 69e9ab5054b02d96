import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { cleanUpPrefix } from '../../driver-kafka/test/raw-kafka.js';
import { describeDemoAcrossInstances } from './support/demo-across-instances.js';

const prefix = `d${randomBytes(3).toString('hex')}-`;

describeDemoAcrossInstances('kafka', () => ({ KAFKA_BROKERS: inject('kafkaBrokers'), KAFKA_TOPIC_PREFIX: prefix }), () => cleanUpPrefix(prefix));
