export { createKafkaBus } from './create-kafka-bus.js';
export { driver } from './driver.js';
export type { KafkaBusOptions } from './options.js';
export type { KafkaPreset } from './preset-names.js';
