import { startServer, waitReady, type ServerProcess } from './child-processes.js';
import type { BenchOptions } from './options.js';
import type { SystemSpec } from './systems.js';

/** A system's running server processes; `urls` is [A, B], the same URL twice for a single-process system. */
export interface RunningSystem {
  readonly spec: SystemSpec;
  readonly servers: readonly ServerProcess[];
  readonly urls: readonly [string, string];
  stop(): Promise<void>;
}

/** Starts the system's one or two processes and waits until each answers /readyz. */
export interface StartSettings {
  readonly env?: NodeJS.ProcessEnv;
  /** `node` flags put before the system's own arguments (e.g. --inspect). */
  readonly nodeFlags?: readonly string[];
  /** Start instance A only, even for a two-process system. */
  readonly onlyA?: boolean;
}

export async function startSystem(spec: SystemSpec, options: BenchOptions, settings: StartSettings = {}): Promise<RunningSystem> {
  const servers: ServerProcess[] = [];
  const stop = async (): Promise<void> => void (await Promise.all(servers.map((s) => s.stop())));
  try {
    for (const instance of spec.processes === 2 && settings.onlyA !== true ? (['A', 'B'] as const) : (['A'] as const)) {
      const { args, env } = spec.server(options, instance);
      const server = await startServer(`${spec.name}-${instance}`, [...(settings.nodeFlags ?? []), ...args], { ...process.env, ...env, ...settings.env }, options.startTimeoutMs);
      servers.push(server);
      await waitReady(server.url, options.startTimeoutMs);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const a = servers[0] as ServerProcess;
  const b = servers[1] ?? a;
  return { spec, servers, urls: [a.url, b.url], stop };
}
