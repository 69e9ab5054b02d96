import { ClientError } from './client-error.js';
import { call, Emitter } from './emitter.js';

/** A message as the app receives it; see the `message` frame in docs/protocol.md. */
export interface Message<T = unknown> {
  readonly channel: string;
  readonly data: T;
  /** Unique id; `<sub>:<messageId>` of the publishing client's publish. */
  readonly id: string;
  /** Opaque place in the channel's history; the client resumes after the last one it delivered. */
  readonly position: string;
  /** Publish time, ms since the epoch. */
  readonly timestamp: number;
  /** The publisher's `sub`; absent for anonymous publishers and backend publishes. */
  readonly user?: string;
}

/** A member of a channel's presence. */
export interface PresenceMember {
  /** The token's `sub`, or `anon:<connection id>` on a server without auth. */
  readonly user: string;
}

/** Messages may have been missed: reload the channel's state from its source of truth. */
export interface GapEvent {
  readonly channel: string;
  /** `position_expired`: the bus no longer kept everything after the last position; `replay_unsupported`/`invalid_position`: it could not resume from it at all. */
  readonly code: 'position_expired' | 'replay_unsupported' | 'invalid_position';
  readonly message: string;
}

/** Events of a subscription. */
export interface SubscriptionEvents {
  /** Messages were missed across a reconnect (see {@link GapEvent}); delivery goes on. */
  gap: GapEvent;
  /** A user joined the channel (subscriptions with `presence: true`). */
  join: PresenceMember;
  /** A user left the channel (subscriptions with `presence: true`). */
  leave: PresenceMember;
  /** The subscription failed: ended for good (`forbidden`, `invalid_channel`, `too_many_subscriptions`, ...), or, for `bus_unavailable`, retried. */
  error: ClientError;
}

/** Options of `subscribe`. */
export interface SubscribeOptions {
  /** Also receive `join`/`leave` events of the channel's members. Default: false. */
  readonly presence?: boolean;
  /** Shorthand for `subscription.on('join', fn)`. Default: none. */
  readonly onJoin?: (member: PresenceMember) => void;
  /** Shorthand for `subscription.on('leave', fn)`. Default: none. */
  readonly onLeave?: (member: PresenceMember) => void;
}

/** One channel the app subscribed to; it lasts across reconnects until `unsubscribe()` or a server refusal. */
export interface Subscription {
  readonly channel: string;
  /** False once unsubscribed, refused by the server, or the client closed. */
  readonly active: boolean;
  /** Resolves when the server first confirms the subscription; rejects with the ClientError that ended it first. */
  readonly ready: Promise<void>;
  /** Adds a listener; returns the function that removes it. */
  on<K extends keyof SubscriptionEvents>(event: K, listener: (payload: SubscriptionEvents[K]) => void): () => void;
  /** Stops delivery at once and tells the server. Calling it again does nothing. */
  unsubscribe(): void;
}

/** What a subscription needs of its client. */
export interface SubscriptionOwner {
  unsubscribed(subscription: ChannelSubscription): void;
}

/** A subscription and the state the client resumes it with: the position of the last message delivered. */
export class ChannelSubscription implements Subscription {
  readonly ready: Promise<void>;
  active = true;
  position: string | undefined;
  /** Consecutive `bus_unavailable` answers, for the retry backoff. */
  failures = 0;
  /**
   * Messages of a `since` resubscribe that came before its answer, held back: the server may
   * send replayed messages before a `position_expired`, and the app must hear of the gap first.
   */
  held: Message[] | undefined;
  private readonly events = new Emitter<SubscriptionEvents>();
  private confirm!: () => void;
  private refuse!: (error: ClientError) => void;

  constructor(
    readonly channel: string,
    private readonly handler: (message: Message) => void,
    readonly presence: boolean,
    private readonly owner: SubscriptionOwner,
  ) {
    this.ready = new Promise((resolve, reject) => {
      this.confirm = resolve;
      this.refuse = reject;
    });
    // An app that never awaits `ready` must not get an unhandled rejection: errors also go to `error`.
    this.ready.catch(() => undefined);
  }

  on<K extends keyof SubscriptionEvents>(event: K, listener: (payload: SubscriptionEvents[K]) => void): () => void {
    return this.events.on(event, listener);
  }

  unsubscribe(): void {
    if (!this.end(new ClientError('closed', 'unsubscribed before the server confirmed the subscription', this.channel))) return;
    this.owner.unsubscribed(this);
  }

  /** Hands a message to the app and remembers its position. */
  deliver(message: Message): void {
    this.position = message.position;
    if (this.active) call(this.handler, message);
  }

  acked(): void {
    this.failures = 0;
    this.confirm();
  }

  emit<K extends keyof SubscriptionEvents>(event: K, payload: SubscriptionEvents[K]): void {
    if (this.active) this.events.emit(event, payload);
  }

  /** Ends the subscription; `error` is emitted when the server ended it. False when it had ended already. */
  end(error: ClientError, emit = false): boolean {
    if (!this.active) return false;
    if (emit) this.events.emit('error', error);
    this.active = false;
    this.refuse(error);
    return true;
  }
}
