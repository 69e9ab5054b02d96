import type { BusFeature } from '../features.js';
import type { MessageBus } from '../message-bus.js';

/** One bus made for one conformance test, and what to release after it. */
export interface ConformanceInstance {
  readonly bus: MessageBus;
  /** Releases what closing the bus does not (a temporary topic, a key prefix). Default: nothing. */
  readonly cleanup?: () => Promise<void>;
}

/** What the conformance suite needs to know about a driver. */
export interface ConformanceTarget {
  /** Shown in the test names: `conformance: <name>`. */
  readonly name: string;
  /** The features the driver declares. The suite checks that the bus reports exactly these. */
  readonly features: readonly BusFeature[];
  /**
   * Makes a new bus. The suite waits until its `status()` is `ready` before using it, for
   * drivers that connect in the background. Called once or more per test; buses made within one test must share
   * one backend (same broker, same key prefix) so that `crossInstance` can be checked. The suite
   * closes every bus it made, then calls `cleanup`.
   */
  setup(): Promise<ConformanceInstance>;
  /** How long to wait for an expected delivery, in ms. Default: 15000. */
  readonly timeoutMs?: number;
  /** First segment of every channel the suite uses, to keep runs apart. Default: `conformance`. */
  readonly namespace?: string;
  /** Messages per publisher in the ordering case. Default: 200. */
  readonly orderingMessages?: number;
}
