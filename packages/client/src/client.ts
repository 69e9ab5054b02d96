import { backoffDelay } from './backoff.js';
import { ClientError } from './client-error.js';
import { DedupeWindow } from './dedupe-window.js';
import { Emitter } from './emitter.js';
import type { ServerFrame } from './frames.js';
import type { Client, ClientEvents, ClientState, PresenceSnapshot } from './client-api.js';
import { resolveOptions, type ClientOptions, type ResolvedOptions } from './options.js';
import { PublishQueue, type PublishResult } from './publish-queue.js';
import { Requests } from './requests.js';
import { Socket, type SocketOwner } from './socket.js';
import { ChannelSubscription, type Message, type SubscribeOptions, type Subscription, type SubscriptionOwner } from './subscription.js';
import { tokenExpiry, TokenSource } from './token.js';
import { TokenRefresh } from './token-refresh.js';

/** The client: one connection at a time, and what outlives connections (subscriptions, publishes, token). */
class RealtimeClient implements Client, SocketOwner, SubscriptionOwner {
  state: ClientState = 'connecting';
  private readonly options: ResolvedOptions;
  private readonly events = new Emitter<ClientEvents>();
  private readonly subscriptions = new Map<string, ChannelSubscription>();
  /** Subscribe request id to its subscription, for the current connection. */
  private readonly subscribing = new Map<string, ChannelSubscription>();
  private readonly publishes: PublishQueue;
  private readonly requests: Requests;
  private readonly dedupe: DedupeWindow;
  private readonly tokens: TokenSource;
  private readonly refresh: TokenRefresh;
  private socket: Socket | undefined;
  private url = '';
  /** The socket's welcome came: frames may be sent. */
  private live = false;
  private urlIndex = 0;
  private failures = 0;
  private serial = 0;
  /** The connect timeout, or the reconnect delay. */
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly send = (text: string): void => this.socket?.send(text);

  constructor(options: ClientOptions) {
    this.options = resolveOptions(options);
    this.publishes = new PublishQueue(this.options.maxQueuedPublishes, this.options.ackTimeoutMs);
    this.requests = new Requests(this.options.ackTimeoutMs);
    this.dedupe = new DedupeWindow(this.options.dedupeWindow);
    this.tokens = new TokenSource(this.options.token, this.options.getToken, this.options.refreshLeadMs);
    this.refresh = new TokenRefresh(this.tokens, this.requests, this.options.backoffMaxMs, (error) => this.events.emit('error', error));
    // On a microtask: listeners added right after createClient() see `connecting` too.
    queueMicrotask(() => void this.connect());
  }

  on<K extends keyof ClientEvents>(event: K, listener: (payload: ClientEvents[K]) => void): () => void {
    return this.events.on(event, listener);
  }

  subscribe<T = unknown>(channel: string, handler: (message: Message<T>) => void, options: SubscribeOptions = {}): Subscription {
    if (this.state === 'closed') throw new ClientError('closed', 'the client is closed', channel);
    if (this.subscriptions.has(channel)) throw new ClientError('already_subscribed', `already subscribed to "${channel}"`, channel);
    const subscription = new ChannelSubscription(channel, handler as (message: Message) => void, options.presence === true, this);
    if (options.onJoin !== undefined) subscription.on('join', options.onJoin);
    if (options.onLeave !== undefined) subscription.on('leave', options.onLeave);
    this.subscriptions.set(channel, subscription);
    if (this.live) this.sendSubscribe(subscription);
    return subscription;
  }

  publish(channel: string, data: unknown): Promise<PublishResult> {
    if (this.state === 'closed') return Promise.reject(new ClientError('closed', 'the client is closed', channel));
    return this.publishes.add(channel, data, this.live ? this.send : undefined);
  }

  async presence(channel: string): Promise<PresenceSnapshot> {
    if (this.state === 'closed') throw new ClientError('closed', 'the client is closed', channel);
    const answer = await this.requests.request({ type: 'presence', channel }, channel, this.live ? this.send : undefined);
    return { members: answer.members ?? [], truncated: answer.truncated === true };
  }

  close(): void {
    this.shutdown(undefined);
  }

  /** A getter, not a field test: TypeScript would keep a narrowed `state` across the awaits in connect(). */
  private get closed(): boolean {
    return this.state === 'closed';
  }

  unsubscribed(subscription: ChannelSubscription): void {
    if (this.subscriptions.get(subscription.channel) === subscription) this.subscriptions.delete(subscription.channel);
    // With an id, so that its answer (an ack, or not_subscribed if the subscribe had failed) is recognised as ours and dropped.
    if (this.live) this.send(JSON.stringify({ type: 'unsubscribe', channel: subscription.channel, id: `u${++this.serial}` }));
  }

  socketFrame(socket: Socket, frame: ServerFrame): void {
    if (socket !== this.socket) return;
    const subscription = frame.channel === undefined ? undefined : this.subscriptions.get(frame.channel);
    switch (frame.type) {
      case 'welcome':
        this.welcomed(frame);
        return;
      case 'message':
        if (subscription !== undefined) this.deliver(subscription, frame);
        return;
      case 'ack':
      case 'error':
        this.reply(frame);
        return;
      case 'presence':
        this.requests.answer(frame);
        return;
      case 'join':
      case 'leave':
        if (frame.user !== undefined) subscription?.emit(frame.type, { user: frame.user });
        return;
      case 'unsubscribed':
        if (subscription === undefined) return;
        // The server's stream fell behind: resume after the last message handed out, as after a reconnect.
        if (frame.code === 'position_expired') {
          // Without a position nothing the server missed can be replayed: the app hears of the gap.
          if (subscription.position === undefined) subscription.emit('gap', { channel: subscription.channel, code: 'position_expired', message: frame.message ?? 'the server subscription fell behind' });
          return this.sendSubscribe(subscription);
        }
        this.subscriptions.delete(subscription.channel);
        subscription.end(new ClientError(frame.code ?? 'forbidden', frame.message ?? 'the server ended the subscription', subscription.channel), true);
        return;
    }
  }

  socketClosed(socket: Socket, code: number, reason: string, opened: boolean, detail: string): void {
    if (socket !== this.socket) return;
    this.socket = undefined;
    const wasLive = this.live;
    this.live = false;
    clearTimeout(this.timer);
    this.refresh.stop();
    this.subscribing.clear();
    // Held messages were not handed to the app, so its positions are before them: they are replayed.
    for (const subscription of this.subscriptions.values()) subscription.held = undefined;
    this.publishes.disconnected();
    this.requests.disconnected();
    if (this.state === 'closed') return;
    if (code === 4001 || !opened) {
      // A refused handshake (the browser cannot tell a 401 from a network failure) or an expired token: get a new one.
      if (this.tokens.renewable) this.tokens.invalidate();
      else if (code === 4001) return this.shutdown(new ClientError('token_expired', 'the token expired (close 4001) and there is no getToken to get another'));
      else if (/\b401\b/.test(detail)) return this.shutdown(new ClientError('unauthorized', `the server refused the token: ${detail}`));
    }
    if (wasLive) {
      this.state = 'disconnected';
      this.events.emit('disconnected', { code, reason });
    }
    this.retry();
  }

  private async connect(): Promise<void> {
    this.timer = undefined;
    if (this.closed) return;
    const url = this.options.urls[this.urlIndex % this.options.urls.length] as string;
    if (this.state === 'connecting') this.events.emit('connecting', { url });
    let token: string | undefined;
    try {
      token = await this.tokens.forConnect();
    } catch (error) {
      if (this.closed) return;
      this.events.emit('error', new ClientError('token_unavailable', `getToken() failed: ${String(error)}`, undefined, error));
      return this.retry();
    }
    if (this.closed) return;
    if (token !== undefined && !this.tokens.renewable && (tokenExpiry(token) ?? Infinity) <= Date.now()) {
      return this.shutdown(new ClientError('token_expired', 'the token has expired and there is no getToken to get another'));
    }
    try {
      // The subprotocol carries the token: browsers cannot set headers, and a query string ends up in logs.
      this.socket = new Socket(this.options.WebSocket, url, token === undefined ? [] : ['realtime-bus', `bearer.${token}`], this);
    } catch (error) {
      return this.shutdown(new ClientError('invalid_options', `cannot open a WebSocket to ${url}: ${String(error)}`, undefined, error));
    }
    this.url = url;
    const socket = this.socket;
    this.timer = setTimeout(() => socket.close(1006, 'connect timeout'), this.options.connectTimeoutMs);
  }

  /** Schedules the next attempt on the next url, after the backoff. */
  private retry(): void {
    this.urlIndex += 1;
    const delayMs = backoffDelay(this.failures++, this.options.backoffBaseMs, this.options.backoffMaxMs);
    this.state = 'reconnecting';
    this.events.emit('reconnecting', { attempt: this.failures, delayMs, url: this.options.urls[this.urlIndex % this.options.urls.length] as string });
    this.timer = setTimeout(() => void this.connect(), delayMs);
  }

  private welcomed(frame: ServerFrame): void {
    clearTimeout(this.timer);
    this.live = true;
    // A connection that worked resets the backoff: after a drop (1001 at a deploy included) the first retry comes within backoffBaseMs.
    this.failures = 0;
    if (typeof frame.maxFrameBytes === 'number') this.publishes.maxFrameBytes = frame.maxFrameBytes;
    // Subscribes first: the server handles frames in order, so the app's own publishes reach its subscriptions.
    for (const subscription of this.subscriptions.values()) this.sendSubscribe(subscription);
    this.publishes.flush(this.send);
    this.requests.flush(this.send);
    const socket = this.socket;
    this.refresh.start(this.send, () => socket === this.socket && this.live);
    this.state = 'connected';
    this.events.emit('connected', { url: this.url, instance: frame.instance ?? '' });
  }

  private sendSubscribe(subscription: ChannelSubscription): void {
    const id = `s${++this.serial}`;
    this.subscribing.set(id, subscription);
    subscription.held = subscription.position === undefined ? undefined : [];
    const since = subscription.position === undefined ? {} : { since: subscription.position };
    this.send(JSON.stringify({ type: 'subscribe', channel: subscription.channel, id, ...since, ...(subscription.presence ? { presence: true } : {}) }));
  }

  private deliver(subscription: ChannelSubscription, frame: ServerFrame): void {
    if (frame.id === undefined || frame.position === undefined) return;
    const user = frame.user === undefined ? {} : { user: frame.user };
    const message: Message = { channel: subscription.channel, data: frame.data, id: frame.id, position: frame.position, timestamp: frame.timestamp ?? 0, ...user };
    if (subscription.held !== undefined) subscription.held.push(message);
    else this.handOut(subscription, message);
  }

  /** Hands a message to the app unless it was delivered already (a retried publish stored twice). */
  private handOut(subscription: ChannelSubscription, message: Message): void {
    // Checked at hand-out, not arrival: a held message dropped with its connection is not "seen".
    if (this.dedupe.seen(`${message.channel} ${message.id}`)) subscription.position = message.position;
    else subscription.deliver(message);
  }

  /** The resubscribe was answered: the held messages go to the app, in order. */
  private release(subscription: ChannelSubscription): void {
    const held = subscription.held ?? [];
    subscription.held = undefined;
    for (const message of held) this.handOut(subscription, message);
  }

  private reply(frame: ServerFrame): void {
    if (this.publishes.answer(frame) || this.requests.answer(frame)) return;
    const id = frame.id ?? '';
    const subscription = this.subscribing.get(id);
    if (subscription === undefined) {
      // An answer to an id of ours that nothing waits for any more (an unsubscribe, a publish that timed out): nothing to do.
      if (frame.type !== 'error' || id !== '') return;
      const error = new ClientError(frame.code ?? 'internal_error', frame.message ?? '', frame.channel);
      // Without an id, about a subscribed channel (presence no longer granted after a refresh): the subscription's, and it stands.
      const about = frame.channel === undefined ? undefined : this.subscriptions.get(frame.channel);
      if (about !== undefined) about.emit('error', error);
      else this.events.emit('error', error);
      return;
    }
    if (frame.type === 'ack') {
      this.subscribing.delete(id);
      // A plain subscribe's ack says where the channel stood: a reconnect before the first message resumes from there.
      if (subscription.position === undefined && frame.position !== undefined) subscription.position = frame.position;
      subscription.acked();
      this.release(subscription);
      return;
    }
    const code = frame.code ?? 'internal_error';
    const message = frame.message ?? 'subscribe refused';
    const channel = subscription.channel;
    // position_expired: the subscription stands and its ack follows; the app learns of the gap.
    if (code === 'position_expired') return subscription.emit('gap', { channel, code, message });
    this.subscribing.delete(id);
    subscription.held = undefined;
    if (!subscription.active) return;
    if (code === 'replay_unsupported' || code === 'invalid_position') {
      subscription.position = undefined;
      subscription.emit('gap', { channel, code, message });
      return this.sendSubscribe(subscription);
    }
    if (code === 'bus_unavailable' || code === 'internal_error') {
      // Passing failures: the subscription stays and is tried again on this connection (a reconnect retries it anyway).
      subscription.emit('error', new ClientError(code, message, channel));
      const socket = this.socket;
      const delay = backoffDelay(subscription.failures++, this.options.backoffBaseMs, this.options.backoffMaxMs);
      setTimeout(() => subscription.active && socket === this.socket && this.live && this.sendSubscribe(subscription), delay);
      return;
    }
    this.subscriptions.delete(channel);
    subscription.end(new ClientError(code, message, channel), true);
  }

  private shutdown(error: ClientError | undefined): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.timer);
    this.refresh.stop();
    const reason = error ?? new ClientError('closed', 'the client was closed');
    this.publishes.rejectAll(reason);
    this.requests.failAll(reason);
    for (const subscription of this.subscriptions.values()) subscription.end(reason, error !== undefined);
    this.subscriptions.clear();
    this.socket?.close(1000, 'client closed');
    if (error !== undefined) this.events.emit('error', error);
    this.events.emit('closed', error === undefined ? {} : { error });
  }
}

/** Makes a client and starts connecting at once. Throws a ClientError `invalid_options` for unusable options. */
export function createClient(options: ClientOptions): Client {
  return new RealtimeClient(options);
}
