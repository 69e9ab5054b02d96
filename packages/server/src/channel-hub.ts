import 'reflect-metadata';
import { inject, injectable } from 'tsyringe';
import { describeError, type Message, type MessageBus, type Subscription } from '@app/core';
import type { Logger } from 'pino';
import { ServerMetrics } from './metrics.js';
import { messageFrame } from './server-frames.js';
import { BUS, LOGGER, METRICS } from './tokens.js';
import { textFrame } from './ws-frame.js';

/** A client's end of a channel. One object per client and channel, held in the channel's set. */
export interface ChannelListener {
  /**
   * A message of the channel, with its frame encoded once for all listeners: as text, and as a
   * ready WebSocket frame (`textFrame`) that sockets write as is. Returns true when the message
   * frame went to the client now (the hub counts those as deliveries).
   */
  onChannelMessage(message: Message, frame: string, framed: Buffer): boolean;
}

interface ChannelEntry {
  readonly listeners: Set<ChannelListener>;
  /** Joins started, counted before the subscription is live so an early leave cannot drop it under another joiner. */
  members: number;
  readonly subscription: Promise<Subscription>;
  /**
   * The position of the last message handed to the listeners, or, before the first, the bus
   * subscription's `startPosition`: a listener that joins now gets exactly the messages after it.
   */
  readonly positionOf: { position: string | undefined };
  /** Set once the bus subscription is being ended: shutdown and a last leave may both try. */
  ended: boolean;
}

/**
 * Holds one bus subscription per channel for the whole instance and fans its messages out to
 * local listeners, so a thousand players in one room cost one Kafka/Redis subscription, not a
 * thousand. The bus handler only hands frames to sockets (it never waits on a client), so one
 * slow client cannot hold back the others.
 */
@injectable()
export class ChannelHub {
  private readonly channels = new Map<string, ChannelEntry>();

  constructor(
    @inject(BUS) private readonly bus: MessageBus,
    @inject(LOGGER) private readonly logger: Logger,
    @inject(METRICS) private readonly metrics: ServerMetrics,
  ) {}

  /** Channels with a live or starting bus subscription. */
  get channelCount(): number {
    return this.channels.size;
  }

  /**
   * Adds a listener to the channel; resolves once it receives every message published from now
   * on, with the position it starts after when the bus tells positions (a client that reconnects
   * before its first message resumes from there). `leave` removes it again; the last one out ends
   * the bus subscription.
   */
  async join(channel: string, listener: ChannelListener): Promise<string | undefined> {
    const entry = this.channels.get(channel) ?? this.open(channel);
    entry.members += 1;
    try {
      await entry.subscription;
    } catch (error) {
      entry.members -= 1;
      if (this.channels.get(channel) === entry) this.channels.delete(channel);
      throw error;
    }
    entry.listeners.add(listener);
    return entry.positionOf.position;
  }

  /** Removes a listener that joined `channel`; does nothing when it is not there (left already, or shutdown). */
  leave(channel: string, listener: ChannelListener): void {
    // Looking the entry up by name finds the one the listener joined: an entry leaves the map only
    // when its member count reaches 0 (a listener in it is counted, so not while it is there),
    // when its subscription failed (then no listener was ever added), or at close. After close a
    // newer entry for the name does not hold this listener, and the delete below misses.
    const entry = this.channels.get(channel);
    if (entry === undefined || !entry.listeners.delete(listener)) return;
    entry.members -= 1;
    if (entry.members === 0) this.release(channel, entry);
  }

  /** Ends every shared subscription (at shutdown). */
  async close(): Promise<void> {
    const entries = [...this.channels.entries()];
    this.channels.clear();
    await Promise.all(entries.map(([channel, entry]) => this.unsubscribe(channel, entry)));
  }

  private open(channel: string): ChannelEntry {
    const listeners = new Set<ChannelListener>();
    // Apart from the entry, which exists only once subscribe() returned: the handler writes here from the first message.
    const started: { position: string | undefined } = { position: undefined };
    const subscription = this.bus.subscribe(
      channel,
      (message) => {
        started.position = message.position;
        this.fanOut(listeners, message);
      },
      { onError: (error) => this.logger.warn({ channel, err: describeError(error) }, 'shared subscription error') },
    );
    const entry: ChannelEntry = { listeners, members: 0, subscription, positionOf: started, ended: false };
    this.channels.set(channel, entry);
    // Registered before any join awaits the subscription, so it runs first: a joiner sees the start.
    subscription.then(
      (subscribed) => {
        started.position ??= subscribed.startPosition;
        this.metrics.busSubscriptions.inc();
      },
      () => undefined,
    );
    return entry;
  }

  private fanOut(listeners: ReadonlySet<ChannelListener>, message: Message): void {
    if (listeners.size === 0) return;
    const frame = messageFrame(message);
    const framed = textFrame(frame);
    let delivered = 0;
    for (const listener of listeners) {
      try {
        if (listener.onChannelMessage(message, frame, framed)) delivered += 1;
      } catch (error) {
        // One broken listener must not starve the others of the message.
        this.logger.error({ channel: message.channel, err: describeError(error) }, 'channel listener failed');
      }
    }
    this.metrics.messagesDelivered.add(delivered);
    this.metrics.framesSent.add(delivered);
  }

  private release(channel: string, entry: ChannelEntry): void {
    // A later join opens a fresh subscription rather than reviving one being torn down.
    if (this.channels.get(channel) === entry) this.channels.delete(channel);
    void this.unsubscribe(channel, entry);
  }

  private async unsubscribe(channel: string, entry: ChannelEntry): Promise<void> {
    if (entry.ended) return;
    entry.ended = true;
    try {
      const subscription = await entry.subscription;
      await subscription.unsubscribe();
      this.metrics.busSubscriptions.dec();
    } catch (error) {
      this.logger.debug({ channel, err: describeError(error) }, 'shared unsubscribe failed');
    }
  }
}
