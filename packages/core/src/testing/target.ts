import type { BusFeature } from '../features.js';
import type { MessageBus } from '../message-bus.js';

/** One bus made for one conformance test, and what to release after it. */
export interface ConformanceInstance {
  readonly bus: MessageBus;
  /** Releases what closing the bus does not (a temporary topic, a key prefix). Default: nothing. */
  readonly cleanup?: () => Promise<void>;
}

/** A JSON value, for what crosses the process boundary to a {@link RemoteBusFactory}. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/**
 * How to make a bus in a child process, so that `crossInstance` is proved across a real process
 * boundary rather than between two objects of one process.
 *
 * The suite forks a child Node process (with an IPC channel) that imports `module`, calls its
 * export `export` with `args`, and awaits the returned `MessageBus`; the child then publishes and
 * subscribes on the parent's behalf. The bus must use the same backend and namespace as the buses
 * of `setup` (same broker, same key or topic prefix).
 */
export interface RemoteBusFactory {
  /**
   * What the child imports: an absolute file path or a `file:` URL (a `.ts` file works when the
   * child runs with a TypeScript loader, see `execArgv`). A bare package specifier is resolved
   * from `@app/core`'s own location, which may not see the driver's package: resolve it in the
   * test file instead, with `import.meta.resolve('<package>')`.
   */
  readonly module: string;
  /** Name of the export: an async function `(args) => Promise<MessageBus>`. */
  readonly export: string;
  /** Passed to that function, as JSON (so no functions, dates or class instances). Default: null. */
  readonly args?: JsonValue;
  /**
   * Node flags of the child. Default: the parent's `process.execArgv`, plus `--import tsx` when
   * the suite runs from TypeScript sources and no `tsx` flag is there yet (vitest workers carry
   * `--conditions` but no loader).
   */
  readonly execArgv?: readonly string[];
  /** Extra environment of the child, on top of the parent's. */
  readonly env?: Readonly<Record<string, string>>;
  /** Working directory of the child. Default: the parent's. */
  readonly cwd?: string;
}

/** The optional backend hooks a target may give; {@link ConformanceTarget.withoutHooks} says why one is missing. */
export type ConformanceHookName = 'restartBackend' | 'cutConnection' | 'truncateHistory';

/** What the conformance suite needs to know about a driver. */
export interface ConformanceTarget {
  /** Shown in the test names: `conformance: <name>`. */
  readonly name: string;
  /**
   * @deprecated The suite reads the features from `bus.features` of a bus from `setup`. When
   * given, the suite fails unless it equals what the bus reports, so an old target keeps working.
   */
  readonly features?: readonly BusFeature[];
  /**
   * Makes a new bus. The suite waits until its `status()` is `ready` before using it, for
   * drivers that connect in the background. Called once or more per test; buses made within one test must share
   * one backend (same broker, same key prefix) so that `crossInstance` can be checked. The suite
   * closes every bus it made, then calls `cleanup`.
   */
  setup(): Promise<ConformanceInstance>;
  /**
   * How to make a bus of the same backend in another process. Required when the bus declares
   * `crossInstance`: the cross-process cases fail (not skip) without it, since claiming the
   * feature requires proving it. A function is called once per case that needs it, for values
   * known only after setup (a port).
   */
  readonly remote?: RemoteBusFactory | (() => RemoteBusFactory | Promise<RemoteBusFactory>);
  /**
   * Restarts the backend (stop, then start with its stored data). Resolves once it is started
   * again; the buses reconnect by themselves. Checks `persistent`: a target whose bus declares it
   * and gives neither this hook nor a reason in `withoutHooks` fails that case.
   */
  restartBackend?(): Promise<void>;
  /**
   * Cuts every bus of the backend off from it (the backend keeps its data) until
   * `restoreConnection`. Both or neither; without them the connection case is skipped.
   */
  cutConnection?(): Promise<void>;
  /** Ends what `cutConnection` did; resolves once the backend accepts connections again. */
  restoreConnection?(): Promise<void>;
  /**
   * Drops every message of `channel` older than the message at position `before` (a position the
   * bus handed out), the way the backend's own retention would. Needs `replay`; without it the
   * truncated-replay case is skipped.
   */
  truncateHistory?(channel: string, before: string): Promise<void>;
  /**
   * A well-formed position of `channel` beyond its newest message, whose newest position is
   * `newest`. Default: `newest` with its last run of digits made 1,000,000 larger (the three
   * drivers' positions end in a sequence number or offset).
   */
  aheadPosition?(newest: string, channel: string): string;
  /**
   * Why a hook is not given, by hook name: printed in the skip, and for `restartBackend` it turns
   * the failing `persistent` case into a skip. Name where the behaviour is tested instead.
   */
  readonly withoutHooks?: Readonly<Partial<Record<ConformanceHookName, string>>>;
  /**
   * The `closeTimeoutMs` the buses of `setup` use: how long their `close()` and `unsubscribe()`
   * wait for a handler that never returns. The suite fails a close that takes longer than this
   * plus 5 s of teardown margin. Default: 5000.
   */
  readonly closeTimeoutMs?: number;
  /**
   * How many messages a broadcast subscriber of the buses of `setup` may fall behind before the
   * driver ends it with `position_expired` (e.g. `maxPendingPerSubscription`); the slow-subscriber
   * case publishes 20 more than this, and the slow-group case (a blocked group member) twice this
   * plus 20. A backpressure driver may give any number. Default: 100.
   */
  readonly slowSubscriberBound?: number;
  /** How long to wait for an expected delivery, in ms. Default: 15000. */
  readonly timeoutMs?: number;
  /** First segment of every channel the suite uses, to keep runs apart. Default: `conformance`. */
  readonly namespace?: string;
  /** Messages per publisher in the ordering case. Default: 200. */
  readonly orderingMessages?: number;
}
