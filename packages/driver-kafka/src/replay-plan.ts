import { BusError, type ReplayStart } from '@app/core';
import { channelPartition } from './channel-partition.js';
import { formatPosition, parsePosition } from './position.js';
import type { PartitionOffsets } from './topic-manager.js';

/** Where a replay subscription's consumer starts, and how the replay began. */
export interface ReplayPlan {
  readonly replay: ReplayStart;
  /** `from` in canonical form: the subscription's `startPosition`. */
  readonly from: string;
  /** Next offset per partition: right after the position on its partition, the end elsewhere. */
  readonly startOffsets: ReadonlyMap<number, bigint>;
}

/**
 * Places a `from` position in the topic as it is now. A position whose successor Kafka no
 * longer keeps (retention, deleteRecords) starts at the partition's low watermark: `truncated`.
 * Throws `invalid_position` for positions this topic can never have handed out.
 */
export function planReplay(from: string, channel: string, topic: string, offsets: readonly PartitionOffsets[]): ReplayPlan {
  const position = parsePosition(from);
  if (position.topic !== topic) {
    throw new BusError('invalid_position', `position ${from} belongs to topic "${position.topic}", but this channel is on topic "${topic}"`);
  }
  const partition = offsets.find((entry) => entry.partition === position.partition);
  if (partition === undefined) {
    throw new BusError('invalid_position', `position ${from} names partition ${position.partition}, but topic "${topic}" has ${offsets.length}`);
  }
  // The channel's records are all on one partition; a position elsewhere says nothing about
  // where this channel was, and seeking there would silently skip the channel's history.
  const own = channelPartition(topic, channel, offsets.length);
  if (position.partition !== own) {
    throw new BusError('invalid_position', `position ${from} is on partition ${position.partition}, but channel "${channel}" is on partition ${own} of topic "${topic}"`);
  }
  if (position.offset >= partition.high) {
    throw new BusError('invalid_position', `position ${from} is ahead of the newest record of ${topic}/${position.partition} (next offset ${partition.high})`);
  }
  const startOffsets = new Map(offsets.map((entry) => [entry.partition, entry.high]));
  const after = position.offset + 1n;
  const truncated = after < partition.low;
  startOffsets.set(position.partition, truncated ? partition.low : after);
  const canonical = formatPosition(position.topic, position.partition, position.offset);
  return { replay: truncated ? 'truncated' : 'exact', from: canonical, startOffsets };
}
