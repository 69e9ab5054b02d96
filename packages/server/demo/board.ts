/** The shared board: a grid where every player has one piece. Pure state, no DOM. */

export const COLUMNS = 16;
export const ROWS = 10;

export interface Piece {
  readonly player: string;
  x: number;
  y: number;
}

/** A move as published on the game channel. `seq` counts one player's moves from 1, so a lost or doubled move shows. */
export interface MoveData {
  readonly kind: 'move' | 'here';
  readonly player: string;
  readonly seq: number;
  readonly x: number;
  readonly y: number;
}

export function isMoveData(value: unknown): value is MoveData {
  if (typeof value !== 'object' || value === null) return false;
  const data = value as Record<string, unknown>;
  return (
    (data['kind'] === 'move' || data['kind'] === 'here') &&
    typeof data['player'] === 'string' &&
    typeof data['seq'] === 'number' &&
    Number.isInteger(data['x']) &&
    Number.isInteger(data['y'])
  );
}

const clamp = (value: number, max: number): number => Math.min(Math.max(value, 0), max - 1);

/** Where a piece at (x, y) lands after a step of (dx, dy): the board's edges stop it. */
export function step(x: number, y: number, dx: number, dy: number): { x: number; y: number } {
  return { x: clamp(x + dx, COLUMNS), y: clamp(y + dy, ROWS) };
}

/** A free-ish starting cell, the same for a player on every page. */
export function startCell(player: string): { x: number; y: number } {
  let hash = 0;
  for (const char of player) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return { x: hash % COLUMNS, y: (hash >>> 8) % ROWS };
}

/** A hue for the player's colour, the same on every page. */
export function hue(player: string): number {
  let hash = 7;
  for (const char of player) hash = (hash * 33 + char.charCodeAt(0)) >>> 0;
  return hash % 360;
}

/** Every piece and every move seen, per player: what the page shows and what the tests read. */
export class Board {
  readonly pieces = new Map<string, Piece>();
  /** Each player's move `seq`s in the order they arrived. */
  readonly moves = new Map<string, number[]>();

  apply(data: MoveData): void {
    const piece = this.pieces.get(data.player);
    if (piece === undefined) this.pieces.set(data.player, { player: data.player, x: clamp(data.x, COLUMNS), y: clamp(data.y, ROWS) });
    else {
      piece.x = clamp(data.x, COLUMNS);
      piece.y = clamp(data.y, ROWS);
    }
    if (data.kind === 'move') {
      const seen = this.moves.get(data.player) ?? [];
      seen.push(data.seq);
      this.moves.set(data.player, seen);
    }
  }

  remove(player: string): void {
    this.pieces.delete(player);
  }
}
