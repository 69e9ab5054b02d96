// The three timed workloads as room shapes, and which systems each applies to.
import type { BenchOptions, SystemName } from '../options.js';
import type { RoomShape } from './timed-result.js';

export interface TimedWorkload {
  readonly name: 'rooms' | 'rooms-scale' | 'fanout-rate';
  readonly systems: readonly SystemName[];
  /** Systems deliberately left out, with why (printed so that a missing row is explained). */
  readonly notApplicable: readonly { system: SystemName; reason: string }[];
  readonly shapes: readonly RoomShape[];
  readonly rounds: number;
}

const shape = (rooms: number, players: number, ratePerRoom: number, durationS: number): RoomShape => ({
  tag: `${rooms}x${players}@${ratePerRoom}`,
  rooms,
  players,
  ratePerRoom,
  durationMs: durationS * 1000,
});

/** R rooms × P players, one publisher per room: the game shape. Every system, kafka-loop included. */
export function roomsWorkload(o: BenchOptions): TimedWorkload {
  return {
    name: 'rooms',
    systems: ['sio-redis', 'ours-redis', 'ws-redis', 'ours-kafka', 'kafka-loop', 'ours-memory', 'ws-single'],
    notApplicable: [{ system: 'sio-streams', reason: 'kept for fanout only' }],
    shapes: [shape(o.rooms, o.players, o.roomRate, o.roomsDurationS)],
    rounds: o.timedRounds,
  };
}

/** The same total rate over 100, 1,000 and 5,000 rooms: how cost per delivery grows with channel count. */
export function roomsScaleWorkload(o: BenchOptions): TimedWorkload {
  return {
    name: 'rooms-scale',
    systems: ['sio-redis', 'ours-redis', 'ws-redis', 'ours-kafka'],
    notApplicable: [
      { system: 'ours-memory', reason: '5,000 rooms x 4 players is 20,000 sockets, past one process\'s open-file limit here' },
      { system: 'ws-single', reason: 'as ours-memory' },
    ],
    shapes: o.scaleRooms.map((rooms) => shape(rooms, o.players, Math.max(1, Math.round(o.scaleTotalRate / rooms)), o.scaleDurationS)),
    rounds: o.scaleRounds,
  };
}

/** One channel, S subscribers, a fixed rate below saturation (the publisher is one of the S). */
export function fanoutRateWorkload(o: BenchOptions): TimedWorkload {
  return {
    name: 'fanout-rate',
    systems: ['sio-redis', 'ours-redis', 'ws-redis', 'ours-kafka', 'ours-memory', 'ws-single'],
    notApplicable: [{ system: 'kafka-loop', reason: 'one channel is one partition; the fan-out is WebSocket work, which it has none of' }],
    shapes: [shape(1, o.fanoutRateSubscribers, o.fanoutRate, o.fanoutRateDurationS)],
    rounds: o.timedRounds,
  };
}
