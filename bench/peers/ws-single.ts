// Peer `ws-single`: a bare single-process `ws` server with in-process rooms, the ceiling for our
// server on the memory bus. Each message frame is encoded once and the same Buffer is sent to
// every member (what any hand-written relay does); nothing else: no bus, no history, no corking.
import type { WebSocket } from 'ws';
import { ackFrame, exitOnSignal, listenWs, messageFrame, parseClientFrame, welcomeFrame } from './ws-peer-frames.js';

const instance = process.env['INSTANCE_ID'] ?? 'ws-single';
const rooms = new Map<string, Set<WebSocket>>();

function leave(socket: WebSocket, channel: string): void {
  const members = rooms.get(channel);
  if (members === undefined) return;
  members.delete(socket);
  if (members.size === 0) rooms.delete(channel);
}

listenWs(
  (socket) => {
    const joined = new Set<string>();
    socket.send(welcomeFrame(instance, 'ws-single'));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      for (const channel of joined) leave(socket, channel);
    });
    socket.on('message', (raw, isBinary) => {
      if (isBinary) return;
      const frame = parseClientFrame(raw.toString());
      if (frame === undefined) return;
      if (frame.type === 'subscribe') {
        let members = rooms.get(frame.channel);
        if (members === undefined) rooms.set(frame.channel, (members = new Set()));
        members.add(socket);
        joined.add(frame.channel);
      } else if (frame.type === 'unsubscribe') {
        leave(socket, frame.channel);
        joined.delete(frame.channel);
      } else {
        const bytes = Buffer.from(messageFrame(instance, frame.channel, frame.data));
        for (const member of rooms.get(frame.channel) ?? []) member.send(bytes, { binary: false });
      }
      if (frame.id !== undefined) socket.send(ackFrame(frame.id));
    });
  },
  { peer: 'ws-single' },
);
exitOnSignal();
