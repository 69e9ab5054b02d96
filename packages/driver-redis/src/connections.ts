import { BusError, type BusLogger, type BusStatus } from '@app/core';
import { Redis } from 'ioredis';
import type { ResolvedRedisBusOptions } from './options.js';

/** What each connection is for; also the suffix of its `CLIENT SETNAME` name. */
export type ConnectionRole = 'command' | 'subscriber';

/** The URL with any password replaced, for logs and error messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<invalid url>';
  }
}

/**
 * The two connections of a bus: `command` (publishes, stream reads and group commands) and
 * `subscriber` (pub/sub: the live announcements of every channel with subscribers here). Both
 * reconnect forever with a capped backoff until closed, and neither queues commands while down,
 * so nothing grows unbounded. The subscriber is pinged every `pingIntervalMs`: a connection that
 * stopped answering (half-open TCP) would otherwise look idle forever.
 */
export class Connections {
  readonly command: Redis;
  readonly subscriber: Redis;
  private readonly pinger: NodeJS.Timeout;
  private readonly everReady = new Set<ConnectionRole>();
  private readonly down = new Set<ConnectionRole>();
  private readonly warnedAtStart = new Set<ConnectionRole>();
  private closed = false;
  private readonly closing = new AbortController();
  /** Connections closed on purpose before the bus as a whole, which must not read as an outage. */
  private readonly retired = new Set<ConnectionRole>();

  constructor(
    private readonly options: ResolvedRedisBusOptions,
    private readonly logger: BusLogger,
  ) {
    this.command = this.connect('command');
    this.subscriber = this.connect('subscriber');
    this.pinger = setInterval(() => this.pingSubscriber(), options.pingIntervalMs);
    this.pinger.unref();
  }

  status(): BusStatus {
    if (this.closed) return 'closed';
    if (this.everReady.size < 2) return 'connecting';
    return this.command.status === 'ready' && this.subscriber.status === 'ready' ? 'ready' : 'reconnecting';
  }

  /**
   * Resolves when the connection of `role` can take a command. While the first connection is
   * being made it waits up to `connectTimeoutMs`; once the bus has been connected, a lost
   * connection fails at once with a retryable `not_connected` (callers retry, nothing queues).
   */
  async usable(doing: string, role: ConnectionRole = 'command'): Promise<void> {
    if (this.closed) throw new BusError('closed', `${doing} failed: the redis bus is closed`);
    const client = role === 'command' ? this.command : this.subscriber;
    if (client.status === 'ready') return;
    if (this.everReady.has(role)) {
      throw new BusError('not_connected', `${doing} failed: the ${role} connection to Redis at ${redactUrl(this.options.url)} is down; reconnecting`);
    }
    await this.waitReady(client, this.options.connectTimeoutMs, `the first connection to Redis at ${redactUrl(this.options.url)}`, this.closing.signal);
  }

  /**
   * Resolves when `client` is ready; rejects with a `timeout` BusError naming `awaited`, or
   * `closed` when `signal` aborts (a connection that never came up emits no event on disconnect).
   */
  waitReady(client: Redis, timeoutMs: number, awaited: string, signal?: AbortSignal): Promise<void> {
    if (client.status === 'ready') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = (error?: BusError): void => {
        clearTimeout(timer);
        client.off('ready', onReady);
        client.off('end', onEnd);
        signal?.removeEventListener('abort', onEnd);
        if (error === undefined) resolve();
        else reject(error);
      };
      const onReady = (): void => done();
      const onEnd = (): void => done(new BusError('closed', `the bus closed while waiting for ${awaited}`));
      const timer = setTimeout(() => done(new BusError('timeout', `timed out after ${timeoutMs} ms waiting for ${awaited}`)), timeoutMs);
      if (signal?.aborted === true) {
        onEnd();
        return;
      }
      client.on('ready', onReady);
      client.on('end', onEnd);
      signal?.addEventListener('abort', onEnd);
    });
  }

  /** Drops the subscriber connection on purpose (the bus is closing): no reconnect, no warning. */
  retireSubscriber(): void {
    clearInterval(this.pinger);
    this.retired.add('subscriber');
    this.subscriber.disconnect();
  }

  /** Closes both connections: politely (`QUIT`) within `timeoutMs`, else by dropping the socket. */
  async close(timeoutMs: number): Promise<void> {
    this.closed = true;
    this.closing.abort();
    clearInterval(this.pinger);
    await Promise.all(
      [this.command, this.subscriber].map(async (client) => {
        if (client.status === 'end') return;
        if (client.status !== 'ready') {
          client.disconnect();
          return;
        }
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, timeoutMs);
        });
        await Promise.race([client.quit().then(() => undefined, () => undefined), timeout]);
        clearTimeout(timer);
        client.disconnect();
      }),
    );
  }

  /** A subscriber that does not answer PING within commandTimeoutMs is dropped; ioredis reconnects it. */
  private pingSubscriber(): void {
    const client = this.subscriber;
    if (this.closed || client.status !== 'ready') return;
    client.ping().catch((error: unknown) => {
      if (this.closed || this.retired.has('subscriber') || client.status !== 'ready') return;
      this.logger.warn({ err: error }, 'the pub/sub connection did not answer PING; reconnecting it');
      client.disconnect(true);
    });
  }

  private connect(role: ConnectionRole): Redis {
    const client = new Redis(this.options.url, {
      connectionName: `${this.options.clientName}:${role}`,
      // Commands fail while the connection is down instead of piling up in memory.
      enableOfflineQueue: false,
      // A command in flight when the connection drops fails at once (it may or may not have run).
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      connectTimeout: this.options.connectTimeoutMs,
      commandTimeout: this.options.commandTimeoutMs,
      // LiveChannels subscribes again itself, then reads what was announced while it was away.
      autoResubscribe: false,
      keepAlive: 10_000,
      retryStrategy: (times) => (this.closed || this.retired.has(role) ? null : Math.min(50 * 2 ** Math.min(times, 10), 2000)),
    });
    client.on('ready', () => {
      this.everReady.add(role);
      if (this.down.delete(role)) this.logger.info({ connection: role }, 'redis bus reconnected');
    });
    client.on('close', () => {
      if (this.closed || this.retired.has(role) || !this.everReady.has(role) || this.down.has(role)) return;
      this.down.add(role);
      this.logger.warn({ connection: role, url: redactUrl(this.options.url) }, 'redis bus lost its connection; reconnecting');
    });
    // ioredis emits an error per failed reconnect; the close/ready pair above is what matters.
    client.on('error', (error: Error) => {
      if (this.closed) return;
      // Say once that the very first connection fails (wrong URL, Redis down); the rest is noise.
      if (!this.everReady.has(role) && !this.warnedAtStart.has(role)) {
        this.warnedAtStart.add(role);
        this.logger.warn({ connection: role, url: redactUrl(this.options.url), err: error }, 'cannot reach Redis yet; retrying');
        return;
      }
      this.logger.debug({ connection: role, err: error }, 'redis connection error');
    });
    return client;
  }
}
