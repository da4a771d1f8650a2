import type { GptEncoding } from 'gpt-tokenizer/cjs/GptEncoding';
import { LONG_PIECE_CHARS, linearPartsOf } from './linear-bpe';

/**
 * Counting on the event loop that serves HTTP, in slices: a long count (1 MB is ~150 ms of CPU)
 * gives the loop back every SLICE_MS, so another request waits for about one slice, not for the
 * whole count. Counts that wait for the loop take its turns in order, one slice per turn (not
 * one slice per count per turn).
 */
export const SLICE_MS = 5;

let turn = 0;
let claimedTurn = -1;
let nextTurn: Promise<void> | null = null;

function waitForTurn(): Promise<void> {
  nextTurn ??= new Promise((resolve) =>
    setImmediate(() => {
      nextTurn = null;
      turn++;
      resolve();
    }),
  );
  return nextTurn;
}

/**
 * One piece of work's time on the loop (a request's counts). Its slice starts when it starts or
 * when the loop gives it a turn, and lasts SLICE_MS; outside a turn of its own it also ends as
 * soon as other work waits for the loop (a count that starts in an I/O callback takes its place in
 * the queue rather than a slice of its own).
 */
export class Slices {
  private started = performance.now();
  private turn = -1;

  /** True when the work should give the loop back before its next step. */
  spent(): boolean {
    return performance.now() - this.started >= SLICE_MS || (nextTurn !== null && this.turn !== turn);
  }

  /**
   * Resolves at once while this work has run less than SLICE_MS; else once the loop has run its
   * I/O, in a turn no other count has taken. Called before each of many short counts (which
   * are not cut, each well under a slice).
   */
  async next(): Promise<void> {
    if (performance.now() - this.started < SLICE_MS) return;
    await this.nextTurn();
  }

  /** Resolves in a turn of the loop given to this work alone. */
  async nextTurn(): Promise<void> {
    for (;;) {
      await waitForTurn();
      if (claimedTurn !== turn) break;
    }
    claimedTurn = this.turn = turn;
    this.started = performance.now();
  }
}

// Pieces counted between two checks of the clock (a piece of prose takes ~0.1 µs to 1 µs).
const PIECES_PER_CHECK = 256;

/**
 * The count of `encoding.countTokens(text, { disallowedSpecial: new Set() })`, the package's
 * countNative with no special token allowed (their text is ordinary text), in steps: it yields
 * after each window of a long piece and every PIECES_PER_CHECK pieces.
 */
function* countSteps(encoding: GptEncoding, text: string): Generator<void, number, undefined> {
  const { core, long } = linearPartsOf(encoding);
  let count = 0;
  let pieces = 0;
  // matchAll works on a copy of the regex: counts that interleave do not share its lastIndex.
  for (const [piece] of text.matchAll(core.tokenSplitRegex)) {
    if (core.getBpeRankFromString(piece) !== undefined) count++;
    else if (piece.length > LONG_PIECE_CHARS) {
      for (const tokens of long.windows(piece)) {
        count += tokens;
        yield;
      }
    } else count += core.bytePairEncode(piece).length;
    if (++pieces % PIECES_PER_CHECK === 0) yield;
  }
  return count;
}

/** Tokens of `text` as plain text, counted at once (for an encoding withLinearBpe changed). */
export function countPlainTokens(encoding: GptEncoding, text: string): number {
  const steps = countSteps(encoding, text);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** Tokens of `text` as plain text, the same count as countPlainTokens, giving the loop back between slices. */
export async function countPlainTokensInSlices(encoding: GptEncoding, text: string, slices = new Slices()): Promise<number> {
  const steps = countSteps(encoding, text);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (slices.spent()) await slices.nextTurn();
  }
}
