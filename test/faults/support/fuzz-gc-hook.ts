/**
 * Preloaded into the fuzz test's server process (NODE_OPTIONS="--expose-gc --import=<this file>"):
 * on SIGUSR2 it runs a full garbage collection and prints one JSON line with the memory figures,
 * so the test compares like with like before and after the fuzz. The server's code is unchanged.
 */
process.on('SIGUSR2', () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const usage = process.memoryUsage();
  process.stdout.write(`${JSON.stringify({ msg: 'fuzz memory', gc: gc !== undefined, rss: usage.rss, heapUsed: usage.heapUsed, external: usage.external, arrayBuffers: usage.arrayBuffers, at: Date.now() })}\n`);
});
