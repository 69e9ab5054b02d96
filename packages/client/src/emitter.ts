/** A listener of one event. */
export type Listener<T> = (payload: T) => void;

/**
 * The smallest typed event emitter: `on` returns the function that removes the listener. A
 * listener that throws does not stop the client or the other listeners; its error is rethrown
 * from a timer, where it shows as any uncaught error does (as DOM event listeners behave).
 */
export class Emitter<Events extends object> {
  private readonly listeners: { [K in keyof Events]?: Set<Listener<Events[K]>> } = {};

  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    const set = (this.listeners[event] ??= new Set());
    // Wrapped, so the same function added twice is two listeners, each removed by its own call.
    const once: Listener<Events[K]> = (payload) => listener(payload);
    set.add(once);
    return () => void set.delete(once);
  }

  emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    for (const listener of this.listeners[event] ?? []) call(listener, payload);
  }
}

/** Calls an application callback; its error surfaces as uncaught instead of breaking the caller. */
export function call<T>(listener: Listener<T>, payload: T): void {
  try {
    listener(payload);
  } catch (error) {
    setTimeout(() => {
      throw error;
    });
  }
}
