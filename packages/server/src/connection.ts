import { withTimeout, type Message, type PublishReceipt } from '@app/core';
import type { Logger } from 'pino';
import type { RawData } from 'ws';
import type { Action } from './auth/channel-grants.js';
import { ConnectionAuth } from './auth/connection-auth.js';
import type { ConnectionIdentity } from './auth/upgrade-auth.js';
import { USER_HEADER } from './auth/user-header.js';
import type { ConnectionSocket } from './client-socket.js';
import { CLOSE_CODES } from './close-codes.js';
import type { ConnectionDeps } from './connection-deps.js';
import { ConnectionSubscriptions, type SubscriptionOwner } from './connection-subscriptions.js';
import { PendingWork } from './pending-work.js';
import { parseClientFrame, type ClientFrame, type ErrorCode } from './protocol.js';
import { ConnectionPublishes, type PublishOwner } from './connection-publishes.js';
import { ackFrame, errorFrame, publishAckFrame } from './server-frames.js';
import { listenToSocket, type SocketEventsTarget } from './socket-events.js';

/** Where one connection comes from: what differs from one connection to the next. */
export interface ConnectionOrigin {
  /** Number of this connection within its server, for the id. */
  readonly serial: number;
  /** The verified token's subject and grants; undefined for an anonymous client (no auth configured). */
  readonly identity: ConnectionIdentity | undefined;
  /** Called once when the connection's socket has closed. */
  readonly onClosed: (connection: Connection) => void;
}

function rawToText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
}

/**
 * One client: its subscriptions, the order in which its frames are handled, and a bounded
 * outgoing buffer.
 *
 * Frames are handled one after another, so a subscribe takes effect before the frames after it.
 * A publish is handed to the bus in frame order but not awaited (the bus keeps one caller's order
 * per channel), and its ack comes when the bus accepts it. When too much of a client's work is
 * pending, reading its socket pauses: TCP then pushes back on the client instead of server memory.
 */
export class Connection implements SubscriptionOwner, PublishOwner, SocketEventsTarget {
  private readonly subscriptions: ConnectionSubscriptions;
  private readonly work: PendingWork;
  private closed = false;
  /** Shutting down: no frames are handled and nothing is delivered; publish answers still go out. */
  private draining = false;
  private alive = true;
  private logger: Logger | undefined;
  private closeWaiters: (() => void)[] | undefined;
  private readonly publishes: ConnectionPublishes;
  /** The token's grants and expiry; undefined for an anonymous client (no auth configured). */
  private readonly auth: ConnectionAuth | undefined;

  constructor(
    private readonly socket: ConnectionSocket,
    private readonly deps: ConnectionDeps,
    private readonly origin: ConnectionOrigin,
  ) {
    const identity = origin.identity;
    this.auth = identity === undefined || deps.auth === undefined ? undefined : new ConnectionAuth(identity, deps.auth, deps.clock, () => this.expired());
    this.subscriptions = new ConnectionSubscriptions(this, deps, this.auth?.sub);
    this.work = new PendingWork(socket.ws, deps.config.maxPendingFramesPerConnection, (error) => this.handlerFailed(error));
    this.publishes = new ConnectionPublishes(this, deps, this.work, identity === undefined ? undefined : { headers: { [USER_HEADER]: identity.sub } }, identity?.sub);
    listenToSocket(socket.ws, this);
    this.send(deps.welcome);
  }

  /** `<instance>/<n>`, as in the logs. */
  get id(): string {
    return `${this.deps.config.instanceId}/${this.origin.serial}`;
  }

  /** The connection's logger, made on first use: a pino child per idle connection is costly. */
  get log(): Logger {
    this.logger ??= this.deps.logger.child({ connection: this.id });
    return this.logger;
  }

  /** Closed or shutting down: frames are not handled, subscriptions not kept. */
  get stopped(): boolean {
    return this.closed || this.draining;
  }

  /** Resolves once the socket has closed. */
  whenClosed(): Promise<void> {
    if (this.socket.ws.readyState === this.socket.ws.CLOSED) return Promise.resolve();
    return new Promise((resolve) => (this.closeWaiters ??= []).push(resolve));
  }

  /** Heartbeat tick: terminates the connection if no pong came since the last ping, else pings again. */
  heartbeat(): void {
    if (this.closed) return;
    if (!this.alive) {
      this.log.info({}, 'no pong since the last ping; terminating');
      this.deps.metrics.disconnects.inc({ reason: 'heartbeat_timeout' });
      this.release();
      this.socket.ws.terminate();
      return;
    }
    this.alive = false;
    this.socket.ws.ping();
  }

  /**
   * Closes with 1001 for a server shutdown, once the publishes already handed to the bus are
   * answered (for at most `answerWithinMs`): the client then knows which of them were stored.
   */
  shutdown(answerWithinMs: number): void {
    if (this.closed || this.draining) return;
    this.draining = true;
    this.deps.metrics.disconnects.inc({ reason: 'shutdown' });
    this.subscriptions.releaseAll();
    const answered = withTimeout(this.publishes.answered(), answerWithinMs, 'publish answers before closing');
    void answered.catch(() => undefined).then(() => {
      this.release();
      this.socket.close(CLOSE_CODES.goingAway, 'server shutting down');
    });
  }

  /** Drops the socket without a handshake (a shutdown that ran out of time). */
  terminate(): void {
    this.release();
    this.socket.ws.terminate();
  }

  /** A message of a channel this connection subscribed to without `since`. */
  onChannelMessage(_message: Message, framed: Buffer): boolean {
    if (this.closed || this.draining) return false;
    return this.check(this.socket.sendFramed(framed));
  }

  /** The shared subscription of a plain-subscribed channel lost messages: the client resumes with `since`. */
  onChannelGap(channel: string): void {
    this.subscriptions.gap(channel);
  }

  socketClosed(code: number, reason: Buffer): void {
    this.release();
    if (this.logger !== undefined || this.deps.logger.isLevelEnabled('debug')) {
      this.log.debug({ code, reason: reason.toString() }, 'connection closed');
    }
    this.origin.onClosed(this);
    for (const resolve of this.closeWaiters?.splice(0) ?? []) resolve();
  }

  socketError(error: Error): void {
    // ws reports oversize and malformed frames here and closes the socket itself; nothing to rethrow.
    this.log.debug({ err: error.message }, 'socket error');
  }

  pong(): void {
    this.alive = true;
  }

  receive(data: RawData, isBinary: boolean): void {
    this.deps.metrics.framesReceived.add();
    if (this.closed || this.draining) return;
    // The common case, nothing in progress: handle the frame at once instead of through a promise.
    if (!this.work.idle) {
      this.work.enqueue(() => this.handleFrame(data, isBinary));
      return;
    }
    let pending: Promise<void> | undefined;
    try {
      pending = this.handleFrame(data, isBinary);
    } catch (error) {
      this.handlerFailed(error);
      return;
    }
    if (pending !== undefined) this.work.chain(pending);
  }

  /** Handles one frame; returns a promise only when later frames must wait for it (a subscribe). */
  private handleFrame(data: RawData, isBinary: boolean): Promise<void> | undefined {
    if (this.closed || this.draining) return undefined;
    if (isBinary) {
      this.sendError('binary_unsupported', 'binary frames are not supported; send JSON text frames', undefined);
      return undefined;
    }
    const parsed = parseClientFrame(rawToText(data));
    if (!parsed.ok) {
      this.sendError(parsed.problem.code, parsed.problem.message, parsed.problem.id);
      return undefined;
    }
    return this.handle(parsed.frame);
  }

  private handle(frame: ClientFrame): Promise<void> | undefined {
    if (frame.type === 'refresh') return this.refresh(frame.token, frame.id);
    if (frame.type !== 'unsubscribe' && !this.allowed(frame.channel, frame.type, frame.id)) return undefined;
    if (frame.type === 'presence') return this.subscriptions.presence.query(frame.channel, frame.id);
    switch (frame.type) {
      case 'subscribe':
        return this.subscriptions.subscribe(frame.channel, frame.since, frame.id, frame.presence);
      case 'unsubscribe':
        this.subscriptions.unsubscribe(frame.channel, frame.id);
        return undefined;
      case 'publish':
        this.publishes.publish(frame.channel, frame.data, frame.id, frame.messageId);
        return undefined;
    }
  }

  /** Swaps the token; later frames wait, so they see the new grants. Subscriptions it no longer allows end. */
  private async refresh(token: string, id: string | undefined): Promise<void> {
    const auth = this.auth;
    if (auth === undefined) {
      this.sendError('auth_disabled', 'this server runs without auth: there is no token to refresh', id);
      return;
    }
    const result = await auth.refresh(token);
    if (this.stopped) return;
    this.deps.metrics.refreshes.inc({ result: result.ok ? 'ok' : result.code });
    if (!result.ok) {
      this.sendError(result.code, result.message, id);
      return;
    }
    this.subscriptions.refreshed(auth);
    this.ack(id);
  }

  /** False, with a `forbidden` error sent, when the token does not grant `action` on `channel`. */
  allowed(channel: string, action: Action, id: string | undefined): boolean {
    if (this.auth === undefined || this.auth.allows(channel, action)) return true;
    this.deps.metrics.forbidden.inc({ action });
    this.sendError('forbidden', `the token does not allow ${action} on "${channel}"`, id, channel);
    return false;
  }

  private expired(): void {
    this.end('token_expired', CLOSE_CODES.tokenExpired, 'token expired');
  }

  /** Closes the connection on the server's initiative, counted by `reason`. */
  end(reason: string, code: number, text: string): void {
    if (this.closed) return;
    this.log.info({ reason }, `closing: ${text}`);
    this.deps.metrics.disconnects.inc({ reason });
    this.release();
    this.socket.close(code, text);
  }

  private handlerFailed(error: unknown): void {
    this.log.error({ err: error }, 'frame handler failed');
    this.sendError('internal_error', 'internal error', undefined);
  }

  sendReplayed(frame: string): void {
    if (this.send(frame)) this.deps.metrics.messagesDelivered.add();
  }

  sendShared(framed: Buffer): void {
    if (this.stopped || !this.check(this.socket.sendFramed(framed))) return;
    this.deps.metrics.messagesDelivered.add();
    this.deps.metrics.framesSent.add();
  }

  ack(id: string | undefined, position?: string): void {
    if (id !== undefined) this.send(ackFrame(id, position));
  }

  ackPublish(id: string | undefined, receipt: PublishReceipt): void {
    if (id !== undefined) this.send(publishAckFrame(id, receipt.id, receipt.position));
  }

  sendError(code: ErrorCode, message: string, id: string | undefined, channel?: string): void {
    this.deps.metrics.errors.inc({ code });
    this.send(errorFrame(code, message, id, channel));
  }

  send(frame: string): boolean {
    if (this.closed) return false;
    if (!this.check(this.socket.send(frame))) return false;
    this.deps.metrics.framesSent.add();
    return true;
  }

  /** True when sent; a client too far behind is closed with 4008 (bytes held for coalescing count). */
  private check(result: 'sent' | 'closed' | 'full'): boolean {
    if (result === 'sent') return true;
    if (result === 'full' && !this.closed) {
      this.log.warn({ bufferedAmount: this.socket.ws.bufferedAmount }, 'client too slow');
      this.end('send_buffer_full', CLOSE_CODES.sendBufferFull, 'send buffer full');
    }
    return false;
  }

  /** Ends all of this client's subscriptions and stops all sending; safe to call more than once. */
  private release(): void {
    if (this.closed) return;
    this.closed = true;
    this.auth?.stop();
    this.subscriptions.releaseAll();
  }

}
