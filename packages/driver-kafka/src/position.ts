import { BusError } from '@app/core';

/** Where a record sits in Kafka: what a position string encodes. */
export interface KafkaPosition {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
}

const POSITION = /^([A-Za-z0-9._-]{1,249})\/(\d{1,9})\/(\d{1,19})$/;

/** `<topic>/<partition>/<offset>`: readable, and `/` can occur in no topic name. */
export function formatPosition(topic: string, partition: number, offset: string | bigint): string {
  return `${topic}/${partition}/${offset}`;
}

/** Parses a position; throws `invalid_position` for anything {@link formatPosition} cannot make. */
export function parsePosition(position: string): KafkaPosition {
  const match = POSITION.exec(position);
  if (match === null) {
    throw new BusError('invalid_position', `"${position.slice(0, 80)}" is not a Kafka bus position (expected <topic>/<partition>/<offset>)`);
  }
  return { topic: match[1] as string, partition: Number(match[2]), offset: BigInt(match[3] as string) };
}
