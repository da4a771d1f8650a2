import type { GptEncoding } from 'gpt-tokenizer/cjs/GptEncoding';

/**
 * gpt-tokenizer 4.0.0 (the version package.json pins) encodes each piece its pre-tokenizer regex
 * cuts (a word, a run of punctuation, a run of whitespace) by merging byte pairs, and finds each
 * merge by scanning every pair of the piece again: O(n²) in the piece's bytes. Prose has short
 * pieces, but text without whitespace is one piece: 10k characters of "x" took 0.24 s, 160k
 * took 65 s. `withLinearBpe` makes an encoding merge pieces longer than LONG_PIECE_CHARS here
 * instead, with the same merge order (lowest rank first, leftmost on a tie) kept in a heap, in
 * windows of WINDOW_BYTES: O(n log WINDOW_BYTES). Shorter pieces (all of ordinary prose) still
 * take the package's path and its cache.
 *
 * A window's tokens that end within its last MARGIN_BYTES are merged again at the start of the
 * next window, so each cut lies where the merge of the whole piece also has a token boundary
 * (and the windows' tokens are then exactly the whole piece's) unless a merge's effect travels
 * more than MARGIN_BYTES: no such case in the spec, which compares long runs of many kinds, in
 * both encodings, with the package's own merge of the whole piece.
 */
export const LONG_PIECE_CHARS = 64;
export const WINDOW_BYTES = 4096;
export const MARGIN_BYTES = 256;

const SPAN = WINDOW_BYTES + MARGIN_BYTES;
// Heap keys are (rank << POSITION_BITS) | position: one positive int32 per pair.
const POSITION_BITS = 13;
const POSITION_MASK = (1 << POSITION_BITS) - 1;
const RANK_LIMIT = 2 ** (31 - POSITION_BITS);
const NONE = -1;
const UNKNOWN = -2;

/** The parts of gpt-tokenizer 4.0.0's BytePairEncodingCore (private there) this relies on. */
interface BytePairCore {
  bytePairEncode(piece: string): number[];
  getBpeRankFromBytes(bytes: Uint8Array): number | undefined;
  /** What getBpeRankFromBytes looks up once it has decoded valid UTF-8. */
  getBpeRankFromString(text: string): number | undefined;
}

/** The token of a byte sequence, if there is one; the same sequence as a string when it is ASCII. */
export interface TokenRanks {
  ofBytes(bytes: Uint8Array): number | undefined;
  ofAscii(text: string): number | undefined;
}

const linear = new WeakSet<object>();

/**
 * Makes the encoding's own encode / countTokens (and so every caller's) linear on long pieces.
 * Changes the instance in place, once; returns it.
 */
export function withLinearBpe<T extends GptEncoding>(encoding: T): T {
  const core = (encoding as unknown as { bytePairEncodingCoreProcessor?: Partial<BytePairCore> }).bytePairEncodingCoreProcessor;
  if (!core || typeof core.bytePairEncode !== 'function' || typeof core.getBpeRankFromBytes !== 'function' || typeof core.getBpeRankFromString !== 'function') {
    throw new Error('gpt-tokenizer no longer has the BytePairEncodingCore internals withLinearBpe replaces (written for 4.0.0): check libs/tokenizer before upgrading it');
  }
  if (linear.has(core)) return encoding;
  if (encoding.vocabularySize > RANK_LIMIT) throw new Error(`withLinearBpe handles ranks below ${RANK_LIMIT}; this encoding has ${encoding.vocabularySize} tokens`);
  const ranks: TokenRanks = { ofBytes: core.getBpeRankFromBytes.bind(core), ofAscii: core.getBpeRankFromString.bind(core) };
  const packaged = core.bytePairEncode.bind(core);
  const long = new LongPieceEncoder(ranks);
  core.bytePairEncode = (piece: string) => (piece.length > LONG_PIECE_CHARS ? long.encode(piece) : packaged(piece));
  linear.add(core);
  return encoding;
}

const utf8 = new TextEncoder();

/** Merges long pieces window by window, reusing its buffers (an encoding is used by one thread). */
export class LongPieceEncoder {
  private readonly byteRanks = new Int32Array(256);
  // What two adjacent bytes merge into, by (first << 8 | second): most lookups are of byte pairs.
  private readonly bytePairRanks = new Int32Array(256 * 256).fill(UNKNOWN);
  private readonly pairs = new PairRanks();
  // Per window, indexed by a part's first byte: the next part's start, the previous part's start
  // and the part's token; the heap holds each part's pair with the next part that is a token.
  private readonly next = new Int32Array(SPAN + 1);
  private readonly prev = new Int32Array(SPAN + 1);
  private readonly partRank = new Int32Array(SPAN);
  private readonly heap = new PairHeap(SPAN);

  // The piece being encoded, when it is ASCII: its substrings are looked up (decoding bytes costs more).
  private ascii: string | null = null;

  constructor(private readonly ranks: TokenRanks) {
    for (let byte = 0; byte < 256; byte++) {
      const rank = ranks.ofBytes(Uint8Array.of(byte));
      if (rank === undefined) throw new Error(`the encoding has no token for byte ${byte}`);
      this.byteRanks[byte] = rank;
    }
  }

  /** The piece's tokens. */
  encode(piece: string): number[] {
    const bytes = utf8.encode(piece);
    this.ascii = bytes.length === piece.length ? piece : null;
    const tokens: number[] = [];
    let start = 0;
    while (start < bytes.length) {
      const end = Math.min(bytes.length, start + SPAN);
      this.merge(bytes, start, end - start);
      // The last window keeps all its parts; others those that end before the margin (at least one).
      const keepUntil = end === bytes.length ? end - start : WINDOW_BYTES;
      let at = 0;
      do {
        tokens.push(this.partRank[at]);
        at = this.next[at];
      } while (at < end - start && this.next[at] <= keepUntil);
      start += at;
    }
    return tokens;
  }

  /** Merges bytes[offset, offset + length) into parts: next[] and partRank[] from 0. */
  private merge(bytes: Uint8Array, offset: number, length: number): void {
    const { next, prev, partRank, heap } = this;
    for (let i = 0; i <= length; i++) {
      next[i] = i + 1;
      prev[i] = i - 1;
    }
    for (let i = 0; i < length; i++) partRank[i] = this.byteRanks[bytes[offset + i]];
    heap.clear(length);
    for (let i = 0; i + 1 < length; i++) {
      const pair = (bytes[offset + i] << 8) | bytes[offset + i + 1];
      let rank = this.bytePairRanks[pair];
      if (rank === UNKNOWN) {
        rank = this.lookUp(bytes, offset + i, offset + i + 2);
        this.bytePairRanks[pair] = rank;
      }
      if (rank !== NONE) heap.append(rank, i);
    }
    heap.heapify();
    while (heap.size > 0) {
      const top = heap.top();
      const rank = top >> POSITION_BITS;
      const start = top & POSITION_MASK;
      const middle = next[start];
      const end = next[middle];
      next[start] = end;
      prev[end] = start;
      partRank[start] = rank;
      heap.remove(middle);
      const right = end < length ? this.rankOfPair(bytes, offset, start, end, next[end]) : NONE;
      heap.set(start, right);
      if (start > 0) {
        const before = prev[start];
        heap.set(before, this.rankOfPair(bytes, offset, before, start, end));
      }
    }
  }

  /** The token of parts [left, right) + [right, end) merged, NONE if there is none. */
  private rankOfPair(bytes: Uint8Array, offset: number, left: number, right: number, end: number): number {
    const a = this.partRank[left];
    const b = this.partRank[right];
    let rank = this.pairs.get(a, b);
    if (rank === UNKNOWN) {
      rank = this.lookUp(bytes, offset + left, offset + end);
      this.pairs.set(a, b, rank);
    }
    return rank;
  }

  private lookUp(bytes: Uint8Array, start: number, end: number): number {
    const rank = this.ascii === null ? this.ranks.ofBytes(bytes.subarray(start, end)) : this.ranks.ofAscii(this.ascii.substring(start, end));
    return rank ?? NONE;
  }
}

/**
 * The window's pairs that merge into a token, lowest (rank, position) on top: a binary heap of
 * keys (rank << POSITION_BITS) | position that knows where each position's key is, so a pair
 * that changes or goes is updated in place (no stale entries to pop).
 */
class PairHeap {
  size = 0;
  private readonly keys: Int32Array;
  /** Heap index of each position's key, -1 if it has none. */
  private readonly at: Int32Array;

  constructor(capacity: number) {
    this.keys = new Int32Array(capacity);
    this.at = new Int32Array(capacity);
  }

  clear(length: number): void {
    this.size = 0;
    this.at.fill(-1, 0, length);
  }

  /** Adds without ordering; heapify() before any other call. */
  append(rank: number, position: number): void {
    this.at[position] = this.size;
    this.keys[this.size++] = (rank << POSITION_BITS) | position;
  }

  heapify(): void {
    for (let i = (this.size - 2) >> 1; i >= 0; i--) this.down(i, this.keys[i]);
  }

  top(): number {
    return this.keys[0];
  }

  /** Gives the position's pair this rank (NONE: removes it). */
  set(position: number, rank: number): void {
    if (rank === NONE) {
      this.remove(position);
      return;
    }
    const key = (rank << POSITION_BITS) | position;
    const i = this.at[position];
    if (i < 0) this.up(this.size++, key);
    else if (key < this.keys[i]) this.up(i, key);
    else this.down(i, key);
  }

  remove(position: number): void {
    const i = this.at[position];
    if (i < 0) return;
    this.at[position] = -1;
    const last = this.keys[--this.size];
    if (i === this.size) return;
    if (last < this.keys[i]) this.up(i, last);
    else this.down(i, last);
  }

  private up(from: number, key: number): void {
    const { keys, at } = this;
    let i = from;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const above = keys[parent];
      if (above <= key) break;
      keys[i] = above;
      at[above & POSITION_MASK] = i;
      i = parent;
    }
    keys[i] = key;
    at[key & POSITION_MASK] = i;
  }

  private down(from: number, key: number): void {
    const { keys, at, size } = this;
    let i = from;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= size) break;
      if (child + 1 < size && keys[child + 1] < keys[child]) child++;
      const below = keys[child];
      if (below >= key) break;
      keys[i] = below;
      at[below & POSITION_MASK] = i;
      i = child;
    }
    keys[i] = key;
    at[key & POSITION_MASK] = i;
  }
}

// 2^17 pairs in 2^18 slots: 3 MB at most. Random letters meet ~300k distinct pairs per MB; the
// most frequent ones come first, so a full table keeps what it has rather than starting over.
const MAX_PAIRS = 1 << 17;

/**
 * What two adjacent tokens merge into (a token, or NONE), remembered by their ranks: the bytes
 * are the same whatever their position, so each pair is looked up in the package's tables once.
 * Open addressing over typed arrays; once full it takes no more (it is only a cache).
 */
class PairRanks {
  private first = new Int32Array(0);
  private second = new Int32Array(0);
  private merged = new Int32Array(0);
  private mask = 0;
  private size = 0;

  constructor() {
    this.reset(1 << 12);
  }

  get(a: number, b: number): number {
    for (let i = slot(a, b, this.mask); ; i = (i + 1) & this.mask) {
      const key = this.first[i];
      if (key === NONE) return UNKNOWN;
      if (key === a && this.second[i] === b) return this.merged[i];
    }
  }

  set(a: number, b: number, rank: number): void {
    if (2 * (this.size + 1) > this.mask + 1) {
      if (this.size >= MAX_PAIRS) return;
      this.grow();
    }
    let i = slot(a, b, this.mask);
    while (this.first[i] !== NONE) i = (i + 1) & this.mask;
    this.first[i] = a;
    this.second[i] = b;
    this.merged[i] = rank;
    this.size++;
  }

  private reset(capacity: number): void {
    this.first = new Int32Array(capacity).fill(NONE);
    this.second = new Int32Array(capacity);
    this.merged = new Int32Array(capacity);
    this.mask = capacity - 1;
    this.size = 0;
  }

  private grow(): void {
    const { first, second, merged } = this;
    this.reset(first.length * 2);
    for (let i = 0; i < first.length; i++) if (first[i] !== NONE) this.set(first[i], second[i], merged[i]);
  }
}

const slot = (a: number, b: number, mask: number) => (Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 1, 0x85ebca6b)) & mask;
