import type { Logger } from 'pino';
import type { Action } from '../auth/channel-grants.js';
import { busErrorCode } from '../bus-error-code.js';
import type { ErrorCode } from '../protocol.js';
import type { PresenceListener } from './channel-presence.js';
import { presenceProblem } from './presence-channel.js';
import { presenceAnswerFrame } from './presence-frames.js';
import type { PresenceHub } from './presence-hub.js';

/** What presence needs of its connection (the connection itself). */
export interface PresenceOwner {
  /** `<instance>/<n>`: an anonymous connection's user is `anon:<id>`. */
  readonly id: string;
  /** Closed or shutting down. */
  readonly stopped: boolean;
  readonly log: Logger;
  /** False, with a `forbidden` error sent, when the token does not grant `action` on `channel`. */
  allowed(channel: string, action: Action, id: string | undefined): boolean;
  send(frame: string): boolean;
  ack(id: string | undefined): void;
  sendError(code: ErrorCode, message: string, id: string | undefined, channel?: string): void;
}

/**
 * One connection's side of presence: it counts as a member of every channel it is subscribed to
 * (as its token's `sub`, or `anon:<connection id>` without auth), receives `join`/`leave` events of
 * the channels it subscribed to with `presence: true`, and asks `presence` queries. Without
 * presence events a connection holds nothing here but its user.
 */
export class ConnectionPresence implements PresenceListener {
  /** Channels with events: false while the subscribe is not acked yet (events then are dropped). */
  private listening: Map<string, boolean> | undefined;
  private userName: string | undefined;

  constructor(
    private readonly owner: PresenceOwner,
    private readonly hub: PresenceHub,
    /** The token's `sub`; undefined for an anonymous connection. */
    private readonly sub: string | undefined,
  ) {}

  get user(): string {
    this.userName ??= this.sub ?? `anon:${this.owner.id}`;
    return this.userName;
  }

  /** For a subscribe with `presence: true`: false, with the error sent, when it must be refused. */
  permits(channel: string, id: string | undefined): boolean {
    const problem = presenceProblem(channel);
    if (problem !== undefined) {
      this.owner.sendError('invalid_channel', problem, id, channel);
      return false;
    }
    return this.owner.allowed(channel, 'presence', id);
  }

  /**
   * Before the ack of a subscribe: with `presence`, registers for events and waits until this
   * instance follows the channel's presence. False, with the error sent (or the connection gone),
   * when the subscribe must be undone. Without `presence`, true at once.
   */
  ready(channel: string, presence: boolean, id: string | undefined): boolean | Promise<boolean> {
    return presence ? this.startListening(channel, id) : true;
  }

  /** The subscribe is undone after `ready` (the connection closed meanwhile): no events either. */
  abandon(channel: string): void {
    if (this.listening?.has(channel) === true) this.stopListening(channel);
  }

  /** After the ack: counts the connection as a member; its events flow from now (its own `join` first). */
  added(channel: string, presence: boolean): void {
    if (presence) this.listening?.set(channel, true);
    this.hub.addMember(channel, this.user);
  }

  /** The subscription ended (unsubscribe, revoked, connection closed). */
  removed(channel: string): void {
    if (this.listening?.delete(channel) === true) this.hub.unlisten(channel, this);
    this.hub.removeMember(channel, this.user);
  }

  /** A subscribe with `presence: true` on a channel already subscribed: events from now on, then the ack. */
  listenToo(channel: string, id: string | undefined): Promise<void> | undefined {
    if (this.listening?.has(channel) === true) {
      this.owner.ack(id);
      return undefined;
    }
    return this.startListening(channel, id).then((ok) => {
      if (!ok || this.owner.stopped) {
        this.abandon(channel);
        return;
      }
      this.listening?.set(channel, true);
      this.owner.ack(id);
    });
  }

  /** After a refresh: the channels whose new grants lack `presence` get no more events, and an error says so. */
  revoke(allows: (channel: string) => boolean): void {
    for (const channel of [...(this.listening?.keys() ?? [])]) {
      if (allows(channel)) continue;
      this.listening?.delete(channel);
      this.hub.unlisten(channel, this);
      this.owner.sendError('forbidden', `the refreshed token does not allow presence on "${channel}": its join and leave events stop, the subscription stands`, undefined, channel);
    }
  }

  /** A `presence` frame (its grant already checked). Answered when the members are known; later frames do not wait for it. */
  query(channel: string, id: string | undefined): undefined {
    const problem = presenceProblem(channel);
    if (problem !== undefined) {
      this.owner.sendError('invalid_channel', problem, id, channel);
      return undefined;
    }
    this.hub.query(channel).then(
      (answer) => {
        if (!this.owner.stopped) this.owner.send(presenceAnswerFrame(id, channel, answer.users, answer.truncated));
      },
      (error: unknown) => this.failed(error, channel, id),
    );
    return undefined;
  }

  presenceEvent(channel: string, frame: string): void {
    if (this.listening?.get(channel) === true && !this.owner.stopped) this.owner.send(frame);
  }

  private async startListening(channel: string, id: string | undefined): Promise<boolean> {
    (this.listening ??= new Map()).set(channel, false);
    try {
      await this.hub.listen(channel, this);
    } catch (error) {
      this.stopListening(channel);
      this.failed(error, channel, id);
      return false;
    }
    return true;
  }

  private failed(error: unknown, channel: string, id: string | undefined): void {
    const { code, message } = busErrorCode(error);
    if (code === 'internal_error') this.owner.log.error({ channel, err: error }, 'presence failed');
    if (!this.owner.stopped) this.owner.sendError(code, message, id, channel);
  }

  private stopListening(channel: string): void {
    this.listening?.delete(channel);
    this.hub.unlisten(channel, this);
  }
}
