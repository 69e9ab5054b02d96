import { describe, expect, it } from 'vitest';
import { upgradeAnswer } from './support/raw-upgrade.js';
import { connect, startTestServer } from './support/test-server.js';

describe('HTTP routes', () => {
  it('serves the demo game at /, its script at /demo.js, and the protocol console at /console', async () => {
    const server = await startTestServer();
    const response = await fetch(`${server.url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(await response.text()).toContain('<script src="/demo.js" defer></script>');
    const script = await fetch(`${server.url}/demo.js`);
    expect(script.status).toBe(200);
    // The bundle carries @app/client: its reconnect is what the game stands on.
    expect(await script.text()).toContain('realtimeDemo');
    const console = await fetch(`${server.url}/console`);
    expect(await console.text()).toContain('<title>Realtime bus demo</title>');
  });

  it('answers /healthz with 200', async () => {
    const server = await startTestServer();
    const response = await fetch(`${server.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz with 200 while the bus is ready and 503 once it is closed', async () => {
    const server = await startTestServer();
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready' });
    await server.bus.close();
    const closed = await fetch(`${server.url}/readyz`);
    expect(closed.status).toBe(503);
    expect(await closed.json()).toMatchObject({ status: 'closed' });
  });

  it('exposes its metrics with their counts at /metrics', async () => {
    const server = await startTestServer();
    const client = await connect(server);
    await client.subscribe('stats');
    await client.publish('stats', 1);
    await client.waitForMessages('stats', 1);
    await client.request({ type: 'unsubscribe', channel: 'nope' });
    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toMatch(/^realtime_connections 1$/m);
    expect(text).toMatch(/^realtime_messages_published_total 1$/m);
    expect(text).toMatch(/^realtime_messages_delivered_total 1$/m);
    expect(text).toMatch(/^realtime_frames_received_total 3$/m);
    expect(text).toMatch(/^realtime_errors_total\{code="not_subscribed"\} 1$/m);
    expect(text).toMatch(/^realtime_bus_subscriptions 1$/m);
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  it('answers unknown paths with 404, and other methods with 405', async () => {
    const server = await startTestServer();
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
    expect((await fetch(`${server.url}/healthz`, { method: 'POST' })).status).toBe(405);
  });

  it('refuses a WebSocket upgrade on any path but /ws with 404', async () => {
    const server = await startTestServer();
    expect((await upgradeAnswer(`${server.url.replace('http', 'ws')}/other`)).status).toBe(404);
  });
});
