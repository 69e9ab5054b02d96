/**
 * What a driver promises beyond the basic contract. A driver declares only what it really
 * provides; callers and the conformance suite use the list to know what holds.
 *
 * - `crossInstance`: buses in different processes, connected to the same backend, see each
 *   other's messages. Without it, the bus only spans one process.
 * - `orderedPerChannel`: each subscriber receives the messages of one channel in one order,
 *   the same for every subscriber, and one publisher's messages in the order its `publish`
 *   calls were made (awaited or not).
 * - `persistent`: an acknowledged publish survives a restart of the backend.
 * - `replay`: `subscribe(..., { from })` delivers what came after a position, then live messages,
 *   with no gap and no duplicate between the two.
 * - `groups`: `mode: 'group'` works: competing consumers, redelivery of a message whose handler
 *   threw, and dead-lettering after `maxAttempts`.
 */
export type BusFeature = 'crossInstance' | 'orderedPerChannel' | 'persistent' | 'replay' | 'groups';

/** Every feature name, for validation and documentation. */
export const ALL_FEATURES: readonly BusFeature[] = ['crossInstance', 'orderedPerChannel', 'persistent', 'replay', 'groups'];
