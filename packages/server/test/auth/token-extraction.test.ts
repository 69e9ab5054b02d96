import { describe, expect, it } from 'vitest';
import { redactTokenFromUrl, tokenFromRequest } from '../../src/auth/token-extraction.js';

const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwIn0.c2lnbmF0dXJl-_';

describe('token extraction', () => {
  it('reads Authorization: Bearer, any case of the scheme', () => {
    expect(tokenFromRequest({ authorization: `Bearer ${TOKEN}` }, '/ws')).toBe(TOKEN);
    expect(tokenFromRequest({ authorization: `bearer  ${TOKEN} ` }, '/ws')).toBe(TOKEN);
    expect(tokenFromRequest({ authorization: `Basic dXNlcjpwYXNz` }, '/ws')).toBeUndefined();
    expect(tokenFromRequest({ authorization: 'Bearer ' }, '/ws')).toBeUndefined();
  });

  it('reads the bearer.<token> subprotocol a browser offers', () => {
    expect(tokenFromRequest({ 'sec-websocket-protocol': `realtime-bus, bearer.${TOKEN}` }, '/ws')).toBe(TOKEN);
    expect(tokenFromRequest({ 'sec-websocket-protocol': 'realtime-bus' }, '/ws')).toBeUndefined();
    expect(tokenFromRequest({ 'sec-websocket-protocol': 'realtime-bus, bearer.' }, '/ws')).toBeUndefined();
  });

  it('reads ?token= from a path or an absolute URL', () => {
    expect(tokenFromRequest({}, `/ws?room=1&token=${TOKEN}`)).toBe(TOKEN);
    expect(tokenFromRequest({}, `wss://game.example/ws?token=${TOKEN}#x`)).toBe(TOKEN);
    expect(tokenFromRequest({}, '/ws?token=')).toBeUndefined();
    expect(tokenFromRequest({}, undefined)).toBeUndefined();
    expect(tokenFromRequest({}, '/ws')).toBeUndefined();
  });

  it('prefers the header, then the subprotocol, then the query', () => {
    const headers = { authorization: 'Bearer from-header', 'sec-websocket-protocol': 'realtime-bus, bearer.from-protocol' };
    expect(tokenFromRequest(headers, '/ws?token=from-query')).toBe('from-header');
    expect(tokenFromRequest({ 'sec-websocket-protocol': 'bearer.from-protocol' }, '/ws?token=from-query')).toBe('from-protocol');
  });

  it('redacts the token from a URL for logs, keeping the rest as received', () => {
    expect(redactTokenFromUrl(`/ws?token=${TOKEN}&room=1`)).toBe('/ws?token=REDACTED&room=1');
    expect(redactTokenFromUrl(`/ws?room=1&token=${TOKEN}#frag`)).toBe('/ws?room=1&token=REDACTED#frag');
    expect(redactTokenFromUrl(`wss://h/ws?Token=${TOKEN}&token=${TOKEN}`)).toBe('wss://h/ws?Token=REDACTED&token=REDACTED');
    expect(redactTokenFromUrl('/ws?mytoken=keep&room=1')).toBe('/ws?mytoken=keep&room=1');
    expect(redactTokenFromUrl('/ws')).toBe('/ws');
  });
});
