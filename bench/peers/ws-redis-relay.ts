// Peer `ws-redis`: a bare `ws` server relaying over Redis pub/sub; run two of them. An instance
// SUBSCRIBEs to a channel while it has local members, PUBLISHes every publish (the whole message
// frame text, so receivers forward it without decoding) and acks once PUBLISH has returned.
// One command connection keeps one publisher's order; one subscriber connection keeps Redis's.
import { Redis } from 'ioredis';
import type { WebSocket } from 'ws';
import { ackFrame, exitOnSignal, listenWs, messageFrame, parseClientFrame, welcomeFrame } from './ws-peer-frames.js';

const instance = process.env['INSTANCE_ID'] ?? 'ws-redis';
const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const prefix = process.env['RELAY_PREFIX'] ?? 'ws-redis:';

interface Room {
  readonly members: Set<WebSocket>;
  /** Settles once this instance's SUBSCRIBE is confirmed; later joiners wait on it too. */
  readonly subscribed: Promise<unknown>;
}

const warn = (msg: string, fields: Record<string, unknown> = {}): void =>
  void process.stdout.write(`${JSON.stringify({ level: 40, msg, ...fields })}\n`);

const pub = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 3 });
const sub = pub.duplicate();
const rooms = new Map<string, Room>();

for (const [role, client] of [['pub', pub], ['sub', sub]] as const) {
  client.on('error', (error: Error) => warn('redis error', { role, err: error.message }));
  client.on('reconnecting', () => warn('redis reconnecting', { role }));
}

sub.on('messageBuffer', (channelBytes: Buffer, frame: Buffer) => {
  const room = rooms.get(channelBytes.toString().slice(prefix.length));
  if (room === undefined) return;
  for (const member of room.members) member.send(frame, { binary: false });
});

async function join(socket: WebSocket, channel: string): Promise<void> {
  let room = rooms.get(channel);
  if (room === undefined) {
    room = { members: new Set(), subscribed: sub.subscribe(prefix + channel) };
    rooms.set(channel, room);
  }
  room.members.add(socket);
  await room.subscribed;
}

function leave(socket: WebSocket, channel: string): void {
  const room = rooms.get(channel);
  if (room === undefined || !room.members.delete(socket) || room.members.size > 0) return;
  rooms.delete(channel);
  void sub.unsubscribe(prefix + channel).catch((error: unknown) => warn('unsubscribe failed', { err: String(error) }));
}

function onConnection(socket: WebSocket): void {
  const joined = new Set<string>();
  const reply = (id: string | undefined): void => {
    if (id !== undefined && socket.readyState === socket.OPEN) socket.send(ackFrame(id));
  };
  socket.send(welcomeFrame(instance, 'ws-redis'));
  socket.on('error', () => undefined);
  socket.on('close', () => {
    for (const channel of joined) leave(socket, channel);
  });
  socket.on('message', (raw, isBinary) => {
    if (isBinary) return;
    const frame = parseClientFrame(raw.toString());
    if (frame === undefined) return;
    if (frame.type === 'subscribe') {
      joined.add(frame.channel);
      join(socket, frame.channel).then(
        () => reply(frame.id),
        (error: unknown) => warn('subscribe failed', { err: String(error) }),
      );
    } else if (frame.type === 'unsubscribe') {
      joined.delete(frame.channel);
      leave(socket, frame.channel);
      reply(frame.id);
    } else {
      pub.publish(prefix + frame.channel, messageFrame(instance, frame.channel, frame.data)).then(
        () => reply(frame.id),
        (error: unknown) => warn('publish failed', { err: String(error) }),
      );
    }
  });
}

async function main(): Promise<void> {
  await Promise.all([pub.connect(), sub.connect()]);
  listenWs(onConnection, { peer: 'ws-redis' });
  exitOnSignal(() => {
    pub.disconnect();
    sub.disconnect();
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`ws-redis-relay: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
