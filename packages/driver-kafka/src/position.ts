import { BusError } from '@app/core';

/** Where a record sits in Kafka: what a position string encodes. */
export interface KafkaPosition {
  readonly topic: string;
  readonly partition: number;
  /** A record's offset, or -1 ({@link BEFORE_FIRST}): before offset 0, the start of an empty partition. */
  readonly offset: bigint;
}

/** The offset of a position that stands before a partition's first record (offset 0). */
export const BEFORE_FIRST = -1n;

const POSITION = /^([A-Za-z0-9._-]{1,249})\/(\d{1,9})\/(-1|\d{1,19})$/;

/**
 * `<topic>/<partition>/<offset>`: readable, and `/` can occur in no topic name. Offset `-1` is
 * the place before offset 0: what a subscription on an empty partition starts after.
 */
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
