import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { cleanUpPrefix } from '../../driver-kafka/test/raw-kafka.js';
import { describeGameAcrossInstances } from './support/game-across-instances.js';

const prefix = `g${randomBytes(3).toString('hex')}-`;

describeGameAcrossInstances('kafka', () => ({ KAFKA_BROKERS: inject('kafkaBrokers'), KAFKA_TOPIC_PREFIX: prefix }), () => cleanUpPrefix(prefix));
