import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * What docs/protocol.md promises a client may receive, read from the document itself (not from
 * the server's sources), so the fuzz test fails when the server sends anything the document does
 * not list.
 */
const protocolMd = readFileSync(fileURLToPath(new URL('../../../docs/protocol.md', import.meta.url)), 'utf8');

/** The first column's back-quoted entries of the table under `heading`. */
function tableKeys(heading: string): string[] {
  const start = protocolMd.indexOf(`\n${heading}\n`);
  if (start === -1) throw new Error(`docs/protocol.md has no "${heading}" section`);
  const rest = protocolMd.slice(start + heading.length + 2);
  const end = rest.search(/\n## /);
  const section = end === -1 ? rest : rest.slice(0, end);
  const keys: string[] = [];
  for (const line of section.split('\n')) {
    const match = /^\|\s*`([^`]+)`\s*\|/.exec(line);
    if (match?.[1] !== undefined) keys.push(match[1]);
  }
  return keys;
}

/** The `code`s of docs/protocol.md's error-code table. */
export const DOCUMENTED_ERROR_CODES: ReadonlySet<string> = new Set(tableKeys('## Error codes'));
/** The close codes of docs/protocol.md's close-code table, as numbers. */
export const DOCUMENTED_CLOSE_CODES: ReadonlySet<number> = new Set(tableKeys('## Close codes').map(Number));

/** Server frame types docs/protocol.md describes under "Server to client". */
export const DOCUMENTED_FRAME_TYPES: ReadonlySet<string> = new Set(['welcome', 'ack', 'message', 'join', 'leave', 'presence', 'unsubscribed', 'error']);

const isString = (value: unknown): value is string => typeof value === 'string';
const optionalString = (value: unknown): boolean => value === undefined || typeof value === 'string';

/** Why a server frame breaks docs/protocol.md, or undefined when it is a documented frame. */
export function serverFrameProblem(frame: Record<string, unknown>): string | undefined {
  const type = frame['type'];
  if (!isString(type) || !DOCUMENTED_FRAME_TYPES.has(type)) return `undocumented frame type ${JSON.stringify(type)}`;
  switch (type) {
    case 'error':
      if (!isString(frame['code']) || !DOCUMENTED_ERROR_CODES.has(frame['code'])) return `undocumented error code ${JSON.stringify(frame['code'])}`;
      if (!isString(frame['message'])) return 'error without a message';
      if (!optionalString(frame['id']) || !optionalString(frame['channel'])) return 'error with a non-string id or channel';
      return undefined;
    case 'ack':
      if (!isString(frame['id'])) return 'ack without an id';
      if (!optionalString(frame['position']) || !optionalString(frame['messageId'])) return 'ack with a non-string position or messageId';
      return undefined;
    case 'message':
      if (!isString(frame['channel']) || !isString(frame['id']) || !isString(frame['position']) || typeof frame['timestamp'] !== 'number' || !('data' in frame)) {
        return 'message frame missing channel, data, id, position or timestamp';
      }
      return undefined;
    case 'join':
    case 'leave':
      return isString(frame['channel']) && isString(frame['user']) ? undefined : `${type} without channel or user`;
    case 'presence':
      return isString(frame['channel']) && Array.isArray(frame['members']) && typeof frame['truncated'] === 'boolean' ? undefined : 'presence frame missing channel, members or truncated';
    case 'unsubscribed':
      return isString(frame['channel']) && isString(frame['code']) && DOCUMENTED_ERROR_CODES.has(frame['code']) ? undefined : 'unsubscribed frame without channel or documented code';
    default:
      return undefined;
  }
}
