import WebSocket from 'ws';

/** A frame as the server sent it, parsed. */
export type Frame = Record<string, unknown> & { type: string };

export interface Closed {
  readonly code: number;
  readonly reason: string;
}

/**
 * A real `ws` client that records every frame, so tests can wait for the one they expect and
 * then assert on everything that came before it.
 */
export class TestClient {
  readonly frames: Frame[] = [];
  readonly closed: Promise<Closed>;
  private waiters: { match: (frame: Frame) => boolean; resolve: (frame: Frame) => void }[] = [];
  private nextId = 1;

  private constructor(readonly socket: WebSocket) {
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    socket.on('error', () => undefined);
    socket.on('message', (data, isBinary) => {
      if (isBinary) return;
      const frame = JSON.parse(String(data)) as Frame;
      this.frames.push(frame);
      const ready = this.waiters.filter((waiter) => waiter.match(frame));
      this.waiters = this.waiters.filter((waiter) => !ready.includes(waiter));
      for (const waiter of ready) waiter.resolve(frame);
    });
  }

  /** Connects (offering `protocols`, if any) and waits for the server's welcome frame. */
  static async connect(url: string, options: WebSocket.ClientOptions = {}, protocols: string[] = []): Promise<TestClient> {
    const socket = new WebSocket(url, protocols, options);
    const client = new TestClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    await client.next((frame) => frame.type === 'welcome');
    return client;
  }

  /** The first recorded or future frame that matches. */
  next(match: (frame: Frame) => boolean): Promise<Frame> {
    const seen = this.frames.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  send(frame: object): void {
    this.socket.send(JSON.stringify(frame));
  }

  sendRaw(data: string | Buffer): void {
    this.socket.send(data);
  }

  /** Sends a frame with a fresh id; resolves with the ack or error frame that carries that id. */
  async request(frame: object): Promise<Frame> {
    const id = `r${this.nextId++}`;
    this.send({ ...frame, id });
    return this.next((reply) => reply.id === id && (reply.type === 'ack' || reply.type === 'error'));
  }

  /** Every frame answering request `id`, in arrival order. */
  repliesTo(id: string): Frame[] {
    return this.frames.filter((frame) => frame.id === id && frame.type !== 'message');
  }

  async subscribe(channel: string, since?: string): Promise<Frame> {
    return this.request(since === undefined ? { type: 'subscribe', channel } : { type: 'subscribe', channel, since });
  }

  async publish(channel: string, data: unknown): Promise<Frame> {
    return this.request({ type: 'publish', channel, data });
  }

  /** Message frames of one channel received so far. */
  messages(channel: string): Frame[] {
    return this.frames.filter((frame) => frame.type === 'message' && frame.channel === channel);
  }

  /** Waits until `count` messages of the channel have arrived; returns them. */
  async waitForMessages(channel: string, count: number): Promise<Frame[]> {
    const enough = (): boolean => this.messages(channel).length >= count;
    if (!enough()) await this.next((frame) => frame.type === 'message' && frame.channel === channel && enough());
    return this.messages(channel);
  }

  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    this.socket.close();
    await this.closed;
  }
}
