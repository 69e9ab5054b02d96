import 'reflect-metadata';
import { inject, injectable } from 'tsyringe';
import { describeError, isBusError, type Message, type MessageBus, type Subscription } from '@app/core';
import type { Logger } from 'pino';
import { ServerMetrics } from './metrics.js';
import { messageFrame } from './server-frames.js';
import { BUS, LOGGER, METRICS } from './tokens.js';
import { textFrame } from './ws-frame.js';

/**
 * Resumes in a row that delivered nothing before the bus ended them again: past this the bus is
 * taken to keep failing, and the listeners are told of a gap instead of resubscribing for ever.
 */
const MAX_IDLE_RESUMES = 3;

/** A client's end of a channel. One object per client and channel, held in the channel's set. */
export interface ChannelListener {
  /**
   * A message of the channel, with its frame encoded once for all listeners as a ready
   * WebSocket frame (`textFrame`) that sockets write as is; every listener gets the same buffer,
   * to write, hold or drop, never to change. Returns true when the frame went to the client now
   * (the hub counts those as deliveries).
   */
  onChannelMessage(message: Message, framed: Buffer): boolean;
  /**
   * The shared subscription lost messages (it fell behind and the bus no longer kept what came
   * after its last message, or it could not be resumed at all): the listener stays joined until
   * it leaves, but its client must resume from the last message it got, with `since`.
   */
  onChannelGap(channel: string): void;
}

/** What a channel's bus subscriptions write to: the listeners and where the stream stands. */
interface SharedStream {
  readonly listeners: Set<ChannelListener>;
  /**
   * The position of the last message handed to the listeners, or, before the first, the bus
   * subscription's `startPosition`: a listener that joins now gets exactly the messages after it,
   * and a subscription that fell behind resumes after it.
   */
  position: string | undefined;
  /** Resumes since the last message handed out (see MAX_IDLE_RESUMES). */
  idleResumes: number;
}

interface ChannelEntry extends SharedStream {
  /** Joins started, counted before the subscription is live so an early leave cannot drop it under another joiner. */
  members: number;
  /** The first bus subscription: joins wait for it. */
  readonly subscription: Promise<Subscription>;
  /** The bus subscription delivering now: the first, or the one that resumed it after `position_expired`. */
  current: Promise<Subscription>;
  /** Set once the bus subscription is being ended: shutdown and a last leave may both try. */
  ended: boolean;
}

/** A bus subscription being made; a resumed one holds its messages until `release` (see ChannelHub.resume). */
interface Attempt {
  readonly subscription: Promise<Subscription>;
  release(): void;
}

/**
 * Holds one bus subscription per channel for the whole instance and fans its messages out to
 * local listeners, so a thousand players in one room cost one Kafka/Redis subscription, not a
 * thousand. The bus handler only hands frames to sockets (it never waits on a client), so one
 * slow client cannot hold back the others.
 *
 * When the driver ends the subscription because it fell behind (`position_expired`), the hub
 * subscribes again from the last message it handed out, so listeners see no gap and no
 * duplicate; only when the bus no longer kept those messages (`replay: 'truncated'`), the new
 * subscription fails, or the bus ends MAX_IDLE_RESUMES resumes in a row before they deliver a
 * message, does each listener hear of the gap (`onChannelGap`).
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
   * the bus subscription. Rejects with the bus's error when the subscription cannot be made.
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
    return entry.position;
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
    const stream: SharedStream = { listeners: new Set(), position: undefined, idleResumes: 0 };
    // The entry exists only once subscribe() returned; a position_expired comes after that.
    let entry: ChannelEntry | undefined;
    const { subscription } = this.subscribe(channel, stream, undefined, () => {
      if (entry !== undefined) void this.resume(channel, entry);
    });
    entry = Object.assign(stream, { members: 0, subscription, current: subscription, ended: false });
    this.channels.set(channel, entry);
    // Registered before any join awaits the subscription, so it runs first: a joiner sees the start.
    subscription.then(
      (subscribed) => {
        stream.position ??= subscribed.startPosition;
        this.metrics.busSubscriptions.inc();
      },
      () => undefined,
    );
    return entry;
  }

  /**
   * One bus subscription of the stream. Messages of one the driver ended are ignored; a resuming
   * one holds its messages until released, so that listeners hear of a gap before any message
   * after it.
   */
  private subscribe(channel: string, stream: SharedStream, from: string | undefined, onExpired: () => void, resuming = false): Attempt {
    let expired = false;
    let held: Message[] | undefined = resuming ? [] : undefined;
    const deliver = (message: Message): void => {
      stream.position = message.position;
      stream.idleResumes = 0;
      this.fanOut(stream.listeners, message);
    };
    const subscription = this.bus.subscribe(
      channel,
      (message) => {
        if (expired) return;
        if (held !== undefined) held.push(message);
        else deliver(message);
      },
      {
        ...(from === undefined ? {} : { from }),
        onError: (error) => {
          if (isBusError(error) && error.reason === 'position_expired') {
            if (!expired) onExpired();
            expired = true;
            return;
          }
          this.logger.warn({ channel, err: describeError(error) }, 'shared subscription error');
        },
      },
    );
    const release = (): void => {
      const messages = held ?? [];
      held = undefined;
      for (const message of messages) if (!expired) deliver(message);
    };
    return { subscription, release };
  }

  /** The driver ended the subscription for falling behind: subscribe again after the last message handed out. */
  private async resume(channel: string, entry: ChannelEntry): Promise<void> {
    if (entry.ended) return;
    if (++entry.idleResumes > MAX_IDLE_RESUMES) {
      this.logger.warn({ channel, attempts: MAX_IDLE_RESUMES }, 'the bus kept ending the resumed shared subscription before it delivered anything; its clients resume on their own');
      this.giveUp(channel, entry);
      return;
    }
    const from = entry.position;
    this.logger.warn({ channel, from }, 'shared subscription fell behind and was ended by the bus; resuming after the last message delivered');
    const attempt = this.subscribe(channel, entry, from, () => void this.resume(channel, entry), true);
    entry.current = attempt.subscription;
    let resumed: Subscription;
    try {
      resumed = await attempt.subscription;
    } catch (error) {
      if (entry.ended) return;
      this.metrics.busResumes.inc({ result: 'failed' });
      this.logger.warn({ channel, err: describeError(error) }, 'could not resume the shared subscription; its clients resume on their own');
      this.giveUp(channel, entry);
      return;
    }
    // Left meanwhile (last leave or shutdown): unsubscribe() ended this one, nobody to tell.
    if (entry.ended) return;
    // Without `from` (no position known, or a bus without replay) nothing proves the stream whole.
    const lost = from === undefined || resumed.replay !== 'exact';
    this.metrics.busResumes.inc({ result: lost ? 'truncated' : 'exact' });
    if (lost) this.gap(channel, entry);
    attempt.release();
  }

  /** The stream cannot be resumed: a later join opens a fresh subscription; the listeners here are told and resubscribe. */
  private giveUp(channel: string, entry: ChannelEntry): void {
    if (this.channels.get(channel) === entry) this.channels.delete(channel);
    this.metrics.busSubscriptions.dec();
    entry.ended = true;
    this.gap(channel, entry);
  }

  private gap(channel: string, entry: ChannelEntry): void {
    // A copy: listeners leave (and may empty the entry) while told.
    for (const listener of [...entry.listeners]) {
      try {
        listener.onChannelGap(channel);
      } catch (error) {
        this.logger.error({ channel, err: describeError(error) }, 'channel listener failed');
      }
    }
  }

  private fanOut(listeners: ReadonlySet<ChannelListener>, message: Message): void {
    if (listeners.size === 0) return;
    const framed = textFrame(messageFrame(message));
    let delivered = 0;
    for (const listener of listeners) {
      try {
        if (listener.onChannelMessage(message, framed)) delivered += 1;
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
    let subscription: Subscription;
    try {
      // The one delivering now; a resume started after this point sees `ended` and stops.
      subscription = await entry.current;
    } catch {
      // A resume that failed: the stream's subscription (counted since open) is gone all the same;
      // resume() leaves the count to this method once `ended` is set. A first one that failed was never counted.
      if (entry.current !== entry.subscription) this.metrics.busSubscriptions.dec();
      return;
    }
    try {
      await subscription.unsubscribe();
      this.metrics.busSubscriptions.dec();
    } catch (error) {
      this.logger.debug({ channel, err: describeError(error) }, 'shared unsubscribe failed');
    }
  }
}
