import type { MemberSet } from './member-set.js';
import type { LivenessCheck } from './presence-liveness.js';

/** A `state` being received in parts. */
interface PartialState {
  readonly parts: number;
  next: number;
  readonly users: Set<string>;
}

/** What this instance knows of one remote incarnation on one channel. */
interface RemoteView {
  users: Set<string>;
  /** Last heard from plus the TTL, on this instance's clock (no clock is compared across instances). */
  expiresAt: number;
  partial: PartialState | undefined;
  /**
   * Users listed from before a gap in this instance's follow of the channel, not confirmed since
   * (by a `state`, or their own `join`/`leave`): their `leave` may have been missed, and an
   * `alive` says nothing of that. Removed at `suspectUntil` unless confirmed.
   */
  suspect: Set<string> | undefined;
  suspectUntil: number;
}

/** What {@link RemoteViews.sweep} returns when it dropped nothing (shared, never changed). */
const NONE_DROPPED: readonly string[] = [];

/**
 * The remote incarnations' members of one channel, as their messages tell them: incarnation →
 * { users, expiresAt }. Every change is passed on to the channel's {@link MemberSet}, which lists
 * each user once. A view that empties is dropped, and one not heard from for the TTL is dropped
 * by {@link sweep}, its users leaving, unless the liveness channel vouches for the incarnation
 * (its `alive`s renew it on every channel without touching each view): that is how the users of a
 * killed instance leave.
 *
 * A sender publishes all parts of one `state` in one go and the bus keeps one sender's order on a
 * channel, so parts arrive in order, with nothing of the same sender between them. A part out of
 * order (this instance began following in the middle of a state) is ignored; the next one serves.
 */
export class RemoteViews {
  private readonly views = new Map<string, RemoteView>();

  constructor(
    private readonly members: MemberSet,
    private readonly ttlMs: number,
    private readonly liveness: LivenessCheck,
  ) {}

  /** Remote incarnations with members. */
  get size(): number {
    return this.views.size;
  }

  join(instance: string, user: string, now: number): void {
    const view = this.heard(instance, now, true) as RemoteView;
    view.suspect?.delete(user);
    if (view.partial !== undefined) view.partial.users.add(user);
    if (view.users.has(user)) return;
    view.users.add(user);
    this.members.add(user);
  }

  leave(instance: string, user: string, now: number): void {
    const view = this.heard(instance, now, false);
    if (view === undefined) return;
    view.suspect?.delete(user);
    view.partial?.users.delete(user);
    if (!view.users.delete(user)) return;
    this.members.remove(user);
    this.dropIfEmpty(instance, view);
  }

  /** One part of a `state`; the last part replaces the view with the whole list. */
  state(instance: string, users: readonly string[], part: number, parts: number, now: number): void {
    const view = this.heard(instance, now, true) as RemoteView;
    if (part === 0) view.partial = { parts, next: 0, users: new Set() };
    const partial = view.partial;
    if (partial === undefined || partial.parts !== parts || partial.next !== part) {
      view.partial = undefined;
      this.dropIfEmpty(instance, view);
      return;
    }
    for (const user of users) partial.users.add(user);
    partial.next += 1;
    if (partial.next < parts) return;
    view.partial = undefined;
    view.suspect = undefined;
    this.replace(instance, view, partial.users);
  }

  /** Any message of `instance` (a `sync` too) shows it is alive. */
  touch(instance: string, now: number): void {
    this.heard(instance, now, false);
  }

  /** `bye`, or the view expired: its users leave unless another source lists them. */
  drop(instance: string): void {
    const view = this.views.get(instance);
    if (view === undefined) return;
    this.views.delete(instance);
    for (const user of view.users) this.members.remove(user);
  }

  /**
   * Drops the views heard from neither here nor on the liveness channel for the TTL, and the
   * suspect users not confirmed in time. Returns the incarnations dropped for silence (not those
   * that only lost suspects). A view dropped for this instance's own deafness is rebuilt by the
   * `sync` PresenceOutages sends once alives are heard again.
   */
  sweep(now: number): readonly string[] {
    // Made only when something is dropped: every channel is swept every `sweepMs`, nearly always for nothing.
    let dropped: string[] | undefined;
    for (const [instance, view] of this.views) {
      if (view.suspect !== undefined && view.suspectUntil <= now) this.dropSuspects(instance, view);
      if (!this.views.has(instance) || view.expiresAt > now || this.liveness.keepsAlive(instance, now)) continue;
      this.drop(instance);
      (dropped ??= []).push(instance);
    }
    return dropped ?? NONE_DROPPED;
  }

  /**
   * The follow of the channel (re)became live and its `sync` is out. What was missed in a gap is
   * unknown, so the users listed now are suspect: each must be confirmed within a TTL (by the
   * `state` an incarnation with members sends in answer to the sync, or by its own `join`/`leave`)
   * or it leaves, whatever `alive`s say. An incarnation that left the channel in the gap does not
   * answer the sync: that is how its missed `leave`s are repaired.
   */
  refollowed(now: number): void {
    for (const view of this.views.values()) {
      view.suspect = new Set(view.users);
      view.suspectUntil = now + this.ttlMs;
    }
  }

  private dropSuspects(instance: string, view: RemoteView): void {
    const suspect = view.suspect ?? new Set<string>();
    view.suspect = undefined;
    for (const user of suspect) if (view.users.delete(user)) this.members.remove(user);
    this.dropIfEmpty(instance, view);
  }

  private heard(instance: string, now: number, create: boolean): RemoteView | undefined {
    let view = this.views.get(instance);
    if (view === undefined) {
      if (!create) return undefined;
      view = { users: new Set(), expiresAt: 0, partial: undefined, suspect: undefined, suspectUntil: 0 };
      this.views.set(instance, view);
    }
    view.expiresAt = now + this.ttlMs;
    return view;
  }

  private replace(instance: string, view: RemoteView, users: Set<string>): void {
    const before = view.users;
    view.users = users;
    for (const user of users) if (!before.has(user)) this.members.add(user);
    for (const user of before) if (!users.has(user)) this.members.remove(user);
    this.dropIfEmpty(instance, view);
  }

  private dropIfEmpty(instance: string, view: RemoteView): void {
    if (view.users.size === 0 && view.partial === undefined) this.views.delete(instance);
  }
}
