import { BusError, type BusLogger, type BusStatus } from '@app/core';
import { Redis } from 'ioredis';
import type { ResolvedRedisBusOptions } from './options.js';

/** What each connection is for; also the suffix of its `CLIENT SETNAME` name. */
export type ConnectionRole = 'command' | 'reader';

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
 * The two connections of a bus: `command` (publishes and every non-blocking command) and
 * `reader` (the one blocking `XREAD` of the instance). Both reconnect forever with a capped
 * backoff until closed, and neither queues commands while down, so nothing grows unbounded.
 */
export class Connections {
  readonly command: Redis;
  readonly reader: Redis;
  private readonly everReady = new Set<ConnectionRole>();
  private readonly down = new Set<ConnectionRole>();
  private readonly warnedAtStart = new Set<ConnectionRole>();
  private closed = false;
  private readonly closing = new AbortController();
  private commandCorked = false;
  /** Connections closed on purpose before the bus as a whole, which must not read as an outage. */
  private readonly retired = new Set<ConnectionRole>();

  constructor(
    private readonly options: ResolvedRedisBusOptions,
    private readonly logger: BusLogger,
  ) {
    this.command = this.connect('command');
    this.reader = this.connect('reader');
  }

  status(): BusStatus {
    if (this.closed) return 'closed';
    if (this.everReady.size < 2) return 'connecting';
    return this.command.status === 'ready' && this.reader.status === 'ready' ? 'ready' : 'reconnecting';
  }

  /**
   * Resolves when the command connection can take a command. While the first connection is
   * being made it waits up to `connectTimeoutMs`; once the bus has been connected, a lost
   * connection fails at once with a retryable `not_connected` (callers retry, nothing queues).
   */
  async usable(doing: string): Promise<void> {
    if (this.closed) throw new BusError('closed', `${doing} failed: the redis bus is closed`);
    if (this.command.status === 'ready') return;
    if (this.everReady.has('command')) {
      throw new BusError('not_connected', `${doing} failed: the connection to Redis at ${redactUrl(this.options.url)} is down; reconnecting`);
    }
    await this.waitReady(this.command, this.options.connectTimeoutMs, `the first connection to Redis at ${redactUrl(this.options.url)}`, this.closing.signal);
  }

  /**
   * Lets the commands sent on the command connection in this tick leave in one write, so a burst
   * of publishes costs one syscall rather than one each. Order and replies are unchanged.
   */
  batchCommandWrites(): void {
    if (this.commandCorked) return;
    const stream = this.command.stream;
    this.commandCorked = true;
    stream.cork();
    process.nextTick(() => {
      this.commandCorked = false;
      stream.uncork();
    });
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

  /** Drops the reader connection on purpose (the bus is closing): no reconnect, no warning. */
  retireReader(): void {
    this.retired.add('reader');
    this.reader.disconnect();
  }

  /** Closes both connections: politely (`QUIT`) within `timeoutMs`, else by dropping the socket. */
  async close(timeoutMs: number): Promise<void> {
    this.closed = true;
    this.closing.abort();
    await Promise.all(
      [this.command, this.reader].map(async (client) => {
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

  private connect(role: ConnectionRole): Redis {
    const client = new Redis(this.options.url, {
      connectionName: `${this.options.clientName}:${role}`,
      // Commands fail while the connection is down instead of piling up in memory.
      enableOfflineQueue: false,
      // A command in flight when the connection drops fails at once (it may or may not have run).
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      connectTimeout: this.options.connectTimeoutMs,
      // Blocking reads have their own bound (the BLOCK argument plus a watchdog in the reader).
      ...(role === 'command' ? { commandTimeout: this.options.commandTimeoutMs } : {}),
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
