import { randomBytes } from 'node:crypto';
import {
  BusError,
  type BusFeature,
  type BusLimits,
  type BusLogger,
  type BusStatus,
  type Message,
  type MessageBus,
  type MessageHandler,
  type PublishOptions,
  type PublishReceipt,
  type ReplayStart,
  type SubscribeOptions,
  type Subscription,
} from '@app/core';
import { BusLifecycle, lazyMessage, preparePublish, resolveSubscribeOptions, type PreparedPublish } from '@app/core/driver';
import { ExampleSubscription } from './example-subscription.js';
import type { ExampleSettings } from './settings.js';

/** Only what this bus keeps: one process (no crossInstance), nothing survives it (no persistent), no groups. */
const FEATURES: ReadonlySet<BusFeature> = new Set(['orderedPerChannel', 'replay']);

/** `<epoch>-<seq>`: the epoch tells this bus's positions from another's; `seq` counts the channel's messages from 1. */
const POSITION = /^([0-9a-f]{8})-(0|[1-9]\d{0,14})$/;

interface Channel {
  /** Sequence number of the newest stored message fanned out; 0 before the first. */
  seq: number;
  /** The newest `historyPerChannel` messages, oldest first; the last one has sequence number `seq`. */
  readonly history: Message[];
  readonly subscribers: Set<ExampleSubscription>;
}

/** Where a subscription starts: after sequence number `after`, reported as `replay`, resumable from `start`. */
interface Start {
  readonly after: number;
  readonly replay: ReplayStart;
  readonly start: string;
}

/** An in-process bus: publish fans out synchronously into each subscriber's queue; handlers run from there. */
export class ExampleBus implements MessageBus {
  readonly driver = 'example';
  readonly features = FEATURES;
  readonly limits: BusLimits;
  readonly #epoch = randomBytes(4).toString('hex');
  readonly #channels = new Map<string, Channel>();
  readonly #lifecycle: BusLifecycle;
  /** Published by a handler during a fan-out: sent after the message being fanned out, so every subscriber sees one order. */
  readonly #outbox: PreparedPublish[] = [];
  #fanningOut = false;

  constructor(
    private readonly settings: ExampleSettings,
    private readonly logger: BusLogger,
  ) {
    this.limits = { maxPayloadBytes: settings.maxPayloadBytes };
    this.#lifecycle = new BusLifecycle('example', settings.closeTimeoutMs, logger);
  }

  status(): BusStatus {
    return this.#lifecycle.status(() => 'ready');
  }

  async publish(channel: string, data: unknown, options?: PublishOptions): Promise<PublishReceipt> {
    this.#lifecycle.assertOpen();
    // Channel, JSON data, headers, id and size checked the same way as on every driver.
    const prepared = preparePublish(channel, data, options, this.limits);
    if (this.#fanningOut) {
      this.#outbox.push(prepared);
      return { id: prepared.id }; // its position exists once it goes out; a receipt may omit it
    }
    return { id: prepared.id, position: this.#delivering(() => this.#fanOut(prepared)) };
  }

  async subscribe<T = unknown>(channel: string, handler: MessageHandler<T>, options?: SubscribeOptions): Promise<Subscription> {
    this.#lifecycle.assertOpen();
    // Also refuses mode "group" with `unsupported`: FEATURES has no "groups".
    const resolved = resolveSubscribeOptions(channel, handler, options, this.features);
    const state = this.#stateOf(channel);
    const { after, replay, start } =
      resolved.from === undefined ? { after: state.seq, replay: 'none' as const, start: this.#position(state.seq) } : this.#replayStart(channel, resolved.from, state);
    const subscription = new ExampleSubscription(
      {
        channel,
        replay,
        handler: handler as MessageHandler,
        options: resolved,
        maxPending: this.settings.maxPendingPerSubscription,
        closeTimeoutMs: this.settings.closeTimeoutMs,
        logger: this.logger,
      },
      (ended) => this.#leave(state, ended),
    );
    subscription.startAfter(start);
    this.#lifecycle.adopt(subscription);
    // Backlog and registration in one step: no message falls between replay and live. A backlog
    // longer than maxPendingPerSubscription ends the subscription with position_expired at once.
    this.#delivering(() => {
      const oldest = state.seq - state.history.length + 1;
      for (const message of state.history.slice(Math.max(after - oldest + 1, 0))) subscription.offer(message);
      if (!subscription.active) return;
      state.subscribers.add(subscription);
      this.#channels.set(channel, state);
    });
    return subscription;
  }

  close(): Promise<void> {
    // Publishes complete synchronously, so there are none to wait for: end the subscriptions (bounded).
    return this.#lifecycle.close(async () => {
      await this.#lifecycle.endSubscriptions();
      this.#channels.clear();
    });
  }

  /**
   * Runs `work`, which may run handlers synchronously, with what those handlers publish held in
   * the outbox, then sends that in publish order: a reply never reaches a subscriber before the
   * message it answers. Inside a running fan-out, `work` runs at once and the outer one sends.
   */
  #delivering<R>(work: () => R): R {
    if (this.#fanningOut) return work();
    this.#fanningOut = true;
    try {
      const result = work();
      for (let next = this.#outbox.shift(); next !== undefined; next = this.#outbox.shift()) this.#fanOut(next);
      return result;
    } finally {
      this.#fanningOut = false;
    }
  }

  /**
   * Gives `prepared` its position, keeps it in history and offers it to every subscriber; returns
   * the position. An ephemeral message is kept nowhere: it takes the position of the stored one
   * before it, so `from` it delivers what was stored after it, and the history stays contiguous.
   */
  #fanOut(prepared: PreparedPublish): string {
    const state = this.#stateOf(prepared.channel);
    if (!prepared.ephemeral) {
      this.#channels.set(prepared.channel, state);
      state.seq += 1;
    }
    const message = lazyMessage({
      id: prepared.id,
      channel: prepared.channel,
      dataJson: prepared.payload, // `data` is decoded from it when read: a copy, apart from the publisher's object
      headers: prepared.headers,
      timestamp: Date.now(),
      position: this.#position(state.seq),
      attempt: 1,
    });
    if (!prepared.ephemeral) state.history.push(message);
    if (state.history.length > this.settings.historyPerChannel) state.history.shift();
    // A copy: a subscription a handler makes now starts after this message, so it must not get it.
    for (const subscription of [...state.subscribers]) subscription.offer(message);
    return message.position;
  }

  /** Where a `from` subscription starts; throws `invalid_position` for a malformed position or one ahead of the channel. */
  #replayStart(channel: string, from: string, state: Channel): Start {
    const match = POSITION.exec(from);
    if (match === null) throw new BusError('invalid_position', `"${from.slice(0, 64)}" is not a position of the example bus`);
    const oldest = state.seq - state.history.length + 1;
    // Another bus's position (an earlier process): what came after it is unknown here, so replay all that is kept.
    if (match[1] !== this.#epoch) return { after: oldest - 1, replay: 'truncated', start: from };
    const after = Number(match[2]);
    if (after > state.seq) throw new BusError('invalid_position', `position ${from} is ahead of the newest message on "${channel}"`);
    return { after, replay: after + 1 < oldest ? 'truncated' : 'exact', start: from };
  }

  /** The channel's state, or a fresh one not kept yet (kept once it has a subscriber or a message). */
  #stateOf(channel: string): Channel {
    return this.#channels.get(channel) ?? { seq: 0, history: [], subscribers: new Set() };
  }

  #position(seq: number): string {
    return `${this.#epoch}-${seq}`;
  }

  /** Takes an ended subscription off its channel, and forgets a channel left with neither subscribers nor history. */
  #leave(state: Channel, subscription: ExampleSubscription): void {
    state.subscribers.delete(subscription);
    if (state.subscribers.size === 0 && state.seq === 0) this.#channels.delete(subscription.channel);
  }
}
