import { build } from 'esbuild';

let bundled: Promise<string> | undefined;

/**
 * The demo game's script, bundled with @app/client by esbuild from packages/server/demo/game.ts
 * on first request and kept: no build step before `pnpm start`, and no build output in the repo.
 * A failed build is not kept, so the next request tries again.
 */
export function demoScript(): Promise<string> {
  bundled ??= build({
    entryPoints: [new URL('../demo/game.ts', import.meta.url).pathname],
    bundle: true,
    minify: true,
    format: 'iife',
    target: 'es2022',
    platform: 'browser',
    // The workspace packages' TypeScript sources, as the server itself runs them.
    conditions: ['@app/source'],
    write: false,
    logLevel: 'silent',
  }).then(
    (result) => result.outputFiles[0]?.text ?? '',
    (error: unknown) => {
      bundled = undefined;
      throw error;
    },
  );
  return bundled;
}
