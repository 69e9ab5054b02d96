// A load-generator worker (forked by worker-pool.ts): connects its share of the rooms' players,
// runs the timed publishing on command, reports, and closes everything on 'close'.
import type { FromWorker, ToWorker } from './load-protocol.js';
import { connectPlayers, runLoad, type Players } from './room-load.js';

let players: Players | undefined;
const send = (message: FromWorker): void => void process.send?.(message);
const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

async function handle(command: ToWorker): Promise<void> {
  if (command.type === 'connect') {
    players = await connectPlayers(command);
    const { list, failed, firstError } = players;
    send({ type: 'connected', connections: list.length, failed, ...(firstError === undefined ? {} : { firstError }) });
  } else if (command.type === 'run') {
    if (players === undefined) throw new Error('run before connect');
    send({ type: 'result', result: await runLoad(players, command) });
  } else {
    for (const player of players?.list ?? []) player.connection.close();
    // Let the close frames and FINs go out before exiting.
    setTimeout(() => process.exit(0), 200);
  }
}

process.on('message', (command: ToWorker) => {
  handle(command).catch((error: unknown) => send({ type: 'failed', error: describe(error) }));
});
// The bench going away must not leave thousands of sockets open.
process.on('disconnect', () => process.exit(0));
send({ type: 'started' });
