// A tiny Kafka protocol client: one Metadata v4 request over TCP, to see which brokers are registered.
// Metadata v4 is supported by Kafka 1.0 through 4.x (KIP-896 removed only v0-v3 in 4.0).
import net from 'node:net';

const METADATA = 3;
const METADATA_VERSION = 4;

function encodeRequest(correlationId) {
  const clientId = Buffer.from('kafka-local-check');
  const body = Buffer.alloc(4 + 1);
  body.writeInt32BE(0, 0); // topics: empty array -> no topic metadata, brokers only
  body.writeInt8(0, 4); // allow_auto_topic_creation = false
  const header = Buffer.alloc(2 + 2 + 4 + 2);
  header.writeInt16BE(METADATA, 0);
  header.writeInt16BE(METADATA_VERSION, 2);
  header.writeInt32BE(correlationId, 4);
  header.writeInt16BE(clientId.length, 8);
  const payload = Buffer.concat([header, clientId, body]);
  const size = Buffer.alloc(4);
  size.writeInt32BE(payload.length, 0);
  return Buffer.concat([size, payload]);
}

function decodeResponse(buf, correlationId) {
  let o = 0;
  const int16 = () => ((o += 2), buf.readInt16BE(o - 2));
  const int32 = () => ((o += 4), buf.readInt32BE(o - 4));
  const str = () => {
    const len = int16();
    if (len < 0) return null;
    o += len;
    return buf.toString('utf8', o - len, o);
  };
  if (int32() !== correlationId) throw new Error('correlation id mismatch');
  int32(); // throttle_time_ms
  const brokers = [];
  for (let n = int32(); n > 0; n--) {
    brokers.push({ nodeId: int32(), host: str(), port: int32(), rack: str() });
  }
  const clusterId = str();
  const controllerId = int32();
  return { brokers: brokers.sort((a, b) => a.nodeId - b.nodeId), clusterId, controllerId };
}

/** Resolves with { brokers, clusterId, controllerId } or rejects (connection refused, timeout, ...). */
export function fetchMetadata(host, port, timeoutMs = 3000) {
  return new Promise((resolve, reject) => {
    const correlationId = Math.floor(Math.random() * 0x7fffffff);
    const socket = net.connect({ host, port });
    let data = Buffer.alloc(0);
    const done = (err, value) => {
      socket.destroy();
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(value);
    };
    const timer = setTimeout(() => done(new Error(`timeout after ${timeoutMs} ms`)), timeoutMs);
    socket.on('connect', () => socket.write(encodeRequest(correlationId)));
    socket.on('error', (err) => done(err));
    socket.on('close', () => done(new Error('connection closed by broker')));
    socket.on('data', (chunk) => {
      data = Buffer.concat([data, chunk]);
      if (data.length < 4) return;
      const size = data.readInt32BE(0);
      if (data.length < 4 + size) return;
      try {
        done(null, decodeResponse(data.subarray(4, 4 + size), correlationId));
      } catch (err) {
        done(err);
      }
    });
  });
}

/** Resolves true if something accepts TCP connections on host:port. */
export function isListening(host, port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const finish = (v) => {
      socket.destroy();
      clearTimeout(timer);
      resolve(v);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('connect', () => finish(true));
    socket.on('error', () => finish(false));
  });
}

/** Resolves true if we could bind host:port right now (nobody else holds it). */
export function canBind(host, port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}
