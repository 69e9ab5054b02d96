import { existsSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { pingRedis, startRedisServer } from './redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The Redis the driver-redis tests use, found by the global setup. */
    redisUrl: string;
  }
}

const HOW = [
  '1. set REDIS_URL to a running Redis (e.g. REDIS_URL=redis://127.0.0.1:6379),',
  '2. run a Docker engine (testcontainers starts redis:7-alpine), or',
  '3. install redis-server on the PATH (the tests start it on a free port).',
].join('\n');

async function fromEnv(url: string): Promise<string> {
  const parsed = new URL(url);
  const port = Number(parsed.port || 6379);
  // TLS endpoints cannot be pinged in plain text; the tests themselves will tell.
  if (parsed.protocol === 'redis:' && !(await pingRedis(parsed.hostname, port, 3000, parsed.password === '' ? undefined : decodeURIComponent(parsed.password)))) {
    throw new Error(`REDIS_URL is set, but no Redis answers at ${parsed.host}. Start it, or unset REDIS_URL to let the tests start one.`);
  }
  return url;
}

async function fromDocker(): Promise<{ url: string; stop: () => Promise<void> } | undefined> {
  if (process.env['DOCKER_HOST'] === undefined && !existsSync('/var/run/docker.sock')) return undefined;
  try {
    const { GenericContainer, Wait, getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    const container = await new GenericContainer('redis:7-alpine')
      .withExposedPorts(6379)
      .withWaitStrategy(Wait.forLogMessage('Ready to accept connections'))
      .start();
    return {
      url: `redis://${container.getHost()}:${container.getMappedPort(6379)}`,
      stop: async () => {
        await container.stop();
      },
    };
  } catch {
    return undefined;
  }
}

/**
 * Finds a Redis for the tests: REDIS_URL when set; else a container where a Docker engine
 * answers; else `redis-server` from the PATH on a free port. Fails, naming the three ways,
 * when none works: these tests never skip silently.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const url = process.env['REDIS_URL'];
  if (url !== undefined && url.trim() !== '') {
    project.provide('redisUrl', await fromEnv(url.trim()));
    return async () => {};
  }
  const docker = await fromDocker();
  if (docker !== undefined) {
    project.provide('redisUrl', docker.url);
    return docker.stop;
  }
  try {
    const server = await startRedisServer();
    project.provide('redisUrl', server.url);
    return server.dispose;
  } catch (error) {
    throw new Error(`The Redis tests need a Redis and found none (${error instanceof Error ? error.message : String(error)}). Either:\n${HOW}`);
  }
}
