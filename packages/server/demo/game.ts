import { createClient, type ClientState, type Message } from '@app/client';
import { Board, COLUMNS, ROWS, hue, isMoveData, startCell, step, type MoveData } from './board.js';

/**
 * The demo game: every player moves one piece on a shared board, sees the others' moves and who
 * is there, from whichever instance they are on. Built on @app/client, so a dropped instance costs
 * a reconnect (to the next url) and nothing else: moves made meanwhile are queued and sent once,
 * and the board resumes from the last move seen.
 */

const $ = (id: string): HTMLElement => {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`the page has no #${id}`);
  return element;
};

const fragment = new URLSearchParams(location.hash.slice(1));
const token = fragment.get('token') ?? '';
const room = `game:${fragment.get('room') ?? 'demo'}`;

/** The token's `sub`, read without verifying (the server verifies): only to name the player. */
function subOf(jwt: string): string | undefined {
  try {
    const claims: unknown = JSON.parse(atob((jwt.split('.')[1] ?? '').replace(/-/g, '+').replace(/_/g, '/')));
    return typeof claims === 'object' && claims !== null && typeof (claims as { sub?: unknown }).sub === 'string' ? (claims as { sub: string }).sub : undefined;
  } catch {
    return undefined;
  }
}

const me = subOf(token) ?? `guest-${Math.random().toString(36).slice(2, 6)}`;

/** This server first, then every other instance the server names (DEMO_URLS), for failover. */
function serverUrls(): string[] {
  const own = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`;
  const listed = (document.querySelector<HTMLMetaElement>('meta[name="realtime-urls"]')?.content ?? '').split(',').map((url) => url.trim());
  return [...new Set([own, ...listed.filter((url) => url !== '')])];
}

const board = new Board();
const members = new Set<string>();
let position = startCell(me);
let seq = 0;
let instance = '–';

const client = createClient({ urls: serverUrls(), ...(token === '' ? {} : { token }) });

function log(kind: 'info' | 'error', text: string): void {
  const item = document.createElement('li');
  item.className = kind;
  item.textContent = `${new Date().toLocaleTimeString()}  ${text}`;
  const list = $('log');
  list.prepend(item);
  while (list.childElementCount > 60) list.lastElementChild?.remove();
}

function render(): void {
  const grid = $('board');
  grid.replaceChildren();
  const byCell = new Map<string, string>();
  for (const piece of board.pieces.values()) byCell.set(`${piece.x},${piece.y}`, piece.player);
  for (let y = 0; y < ROWS; y += 1) {
    for (let x = 0; x < COLUMNS; x += 1) {
      const cell = document.createElement('div');
      cell.className = 'cell';
      const player = byCell.get(`${x},${y}`);
      if (player !== undefined) {
        const piece = document.createElement('div');
        piece.className = player === me ? 'piece mine' : 'piece';
        piece.title = player;
        piece.textContent = player.slice(0, 2);
        // CSSOM, not a style attribute: the page's CSP allows the one and blocks the other.
        piece.style.setProperty('--hue', String(hue(player)));
        cell.append(piece);
      }
      grid.append(cell);
    }
  }
  const list = $('players');
  list.replaceChildren(
    ...[...members].sort().map((user) => {
      const item = document.createElement('li');
      item.textContent = user === me ? `${user} (you)` : user;
      item.style.setProperty('--hue', String(hue(user)));
      return item;
    }),
  );
  $('count').textContent = String(members.size);
}

function setState(state: ClientState, detail = ''): void {
  const pill = $('status');
  pill.textContent = detail === '' ? state : `${state} ${detail}`;
  pill.className = `pill ${state}`;
}

function send(kind: MoveData['kind']): void {
  if (kind === 'move') seq += 1;
  const data: MoveData = { kind, player: me, seq, x: position.x, y: position.y };
  client.publish(room, data).catch((error: unknown) => log('error', `move not sent: ${error instanceof Error ? error.message : String(error)}`));
}

function move(dx: number, dy: number): void {
  const next = step(position.x, position.y, dx, dy);
  if (next.x === position.x && next.y === position.y) return;
  position = next;
  send('move');
}

function received(message: Message): void {
  if (!isMoveData(message.data)) return;
  // With auth on, the server-set `user` is who moved; `player` in the data is only a fallback.
  const data = message.user === undefined ? message.data : { ...message.data, player: message.user };
  board.apply(data);
  if (data.player === me) position = { x: data.x, y: data.y };
  render();
}

const subscription = client.subscribe(room, received, {
  presence: true,
  onJoin: ({ user }) => {
    members.add(user);
    // A newcomer has not seen where we stand: say it once.
    if (user !== me) send('here');
    render();
  },
  onLeave: ({ user }) => {
    members.delete(user);
    board.remove(user);
    render();
  },
});
subscription.on('gap', () => log('error', 'some moves were missed while away; positions catch up with the next moves'));
subscription.on('error', (error) => log('error', `${room}: ${error.message}`));

client.on('connecting', ({ url }) => setState('connecting', url));
client.on('reconnecting', ({ delayMs, url }) => setState('reconnecting', `to ${url} in ${Math.round(delayMs / 100) / 10} s`));
client.on('disconnected', ({ code }) => log('error', `disconnected (${code})`));
client.on('closed', ({ error }) => {
  setState('closed');
  if (error !== undefined) log('error', error.code === 'unauthorized' ? 'refused: open the page with #token=<a token from pnpm -s run token>' : error.message);
});
client.on('error', (error) => log('error', error.message));
client.on('connected', ({ instance: name, url }) => {
  instance = name;
  $('instance').textContent = name;
  setState('connected');
  log('info', `connected to ${name} (${url})`);
  void client.presence(room).then(
    (snapshot) => {
      for (const member of snapshot.members) members.add(member.user);
      render();
    },
    (error: unknown) => log('error', `presence: ${error instanceof Error ? error.message : String(error)}`),
  );
});
void subscription.ready.then(() => send('here'), () => undefined);

const KEYS: Readonly<Record<string, readonly [number, number]>> = {
  ArrowUp: [0, -1], ArrowDown: [0, 1], ArrowLeft: [-1, 0], ArrowRight: [1, 0],
  w: [0, -1], s: [0, 1], a: [-1, 0], d: [1, 0],
};
document.addEventListener('keydown', (event) => {
  const delta = KEYS[event.key];
  if (delta === undefined) return;
  event.preventDefault();
  move(delta[0], delta[1]);
});
for (const button of document.querySelectorAll<HTMLButtonElement>('button[data-dx]')) {
  button.addEventListener('click', () => move(Number(button.dataset['dx']), Number(button.dataset['dy'])));
}

$('you').textContent = me;
$('room').textContent = room;
render();

/** What the end-to-end tests read: plain data, never the page's internals. */
Object.assign(window, {
  realtimeDemo: {
    me,
    move,
    snapshot: () => ({
      state: client.state,
      instance,
      members: [...members].sort(),
      moves: Object.fromEntries(board.moves),
      pieces: [...board.pieces.values()].map((piece) => ({ ...piece })),
    }),
  },
});
