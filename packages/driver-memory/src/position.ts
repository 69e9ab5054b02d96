import { BusError } from '@app/core';

/** A parsed memory-bus position: `<epoch>-<seq>`, where the epoch names one bus instance. */
export interface MemoryPosition {
  readonly epoch: string;
  readonly seq: number;
}

const POSITION = /^([0-9a-f]{8})-(\d{1,15})$/;

export function formatPosition(epoch: string, seq: number): string {
  return `${epoch}-${seq}`;
}

export function parsePosition(position: string): MemoryPosition {
  const match = POSITION.exec(position);
  if (match === null) {
    throw new BusError('invalid_position', `"${position.slice(0, 64)}" is not a memory-bus position (expected <epoch>-<sequence>)`);
  }
  return { epoch: match[1] as string, seq: Number(match[2]) };
}
