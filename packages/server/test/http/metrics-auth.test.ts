import { describe, expect, it } from 'vitest';
import { KEY, OTHER_KEY, apiServer } from './support/api-client.js';

const metricsAt = (url: string, key?: string): Promise<Response> =>
  fetch(`${url}/metrics`, key === undefined ? {} : { headers: { authorization: `Bearer ${key}` } });

describe('/metrics and the API keys', () => {
  it('stays open by default, even with API keys set', async () => {
    const server = await apiServer({ API_KEYS: KEY });
    const response = await metricsAt(server.url);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('realtime_connections');
  });

  it('needs one of the keys with METRICS_REQUIRE_API_KEY=true: 401 without, 200 with either', async () => {
    const server = await apiServer({ API_KEYS: `${KEY},${OTHER_KEY}`, METRICS_REQUIRE_API_KEY: 'true' });
    const missing = await metricsAt(server.url);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    expect(await missing.json()).toMatchObject({ error: 'unauthorized' });
    const wrong = await metricsAt(server.url, 'a-wrong-but-long-enough-key');
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).not.toContain('realtime_connections');
    for (const key of [KEY, OTHER_KEY]) {
      const allowed = await metricsAt(server.url, key);
      expect(allowed.status).toBe(200);
      expect(await allowed.text()).toContain('realtime_connections');
    }
  });

  it('leaves the other routes open when /metrics is locked', async () => {
    const server = await apiServer({ API_KEYS: KEY, METRICS_REQUIRE_API_KEY: 'true' });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });
});
