import 'reflect-metadata';
import { container, type DependencyContainer } from 'tsyringe';

/**
 * A child container with `parts` registered as values under their tokens, for
 * `startServer({ container })` / `startTestServer({ container })`: the server uses them instead of
 * its defaults. Here so that tests outside packages/server need neither tsyringe nor reflect-metadata.
 */
export function swappedParts(parts: readonly (readonly [symbol, unknown])[]): DependencyContainer {
  const scope = container.createChildContainer();
  for (const [token, value] of parts) scope.register(token, { useValue: value });
  return scope;
}
