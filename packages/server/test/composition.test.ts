import 'reflect-metadata';
import { createMemoryBus } from '@app/driver-memory';
import { container } from 'tsyringe';
import { describe, expect, it } from 'vitest';
import { HubChannelFactory, tokens, type ChannelFactory, type ChannelRequest, type ResumedChannel } from '../src/index.js';
import { connect, startTestServer } from './support/test-server.js';

/** The default channel factory, with every request it gets written down. */
class RecordingChannels implements ChannelFactory {
  readonly requests: Pick<ChannelRequest, 'channel' | 'since'>[] = [];

  constructor(private readonly inner: ChannelFactory) {}

  open(request: ChannelRequest): Promise<ResumedChannel> {
    this.requests.push({ channel: request.channel, since: request.since });
    return this.inner.open(request);
  }
}

describe('composition: parts swapped through a child container', () => {
  it('makes since-subscribes through a swapped channel factory, plain ones on the hub', async () => {
    const bus = createMemoryBus();
    const parts = container.createChildContainer();
    let channels: RecordingChannels | undefined;
    parts.register(tokens.BUS, { useValue: bus });
    parts.register(tokens.CHANNEL_FACTORY, { useFactory: (scope) => (channels ??= new RecordingChannels(scope.resolve(HubChannelFactory))) });
    const server = await startTestServer({ container: parts });
    const client = await connect(server);
    const publisher = await connect(server);
    const receipt = await publisher.publish('game:1', 1);
    await publisher.publish('game:1', 2);
    expect(await client.subscribe('game:1', String(receipt.position))).toMatchObject({ type: 'ack' });
    expect(await client.subscribe('game:2')).toMatchObject({ type: 'ack' });
    expect(channels?.requests).toEqual([{ channel: 'game:1', since: String(receipt.position) }]);
    expect((await client.waitForMessages('game:1', 1)).map((frame) => frame.data)).toEqual([2]);
    await bus.close();
  });

  it('uses the bus of the parts container as its own and leaves it open at close', async () => {
    const bus = createMemoryBus();
    const parts = container.createChildContainer();
    parts.register(tokens.BUS, { useValue: bus });
    const server = await startTestServer({ container: parts });
    expect(server.bus).toBe(bus);
    expect(server.container.resolve(tokens.BUS)).toBe(bus);
    await server.close();
    expect(bus.status()).toBe('ready');
    await bus.close();
  });
});
