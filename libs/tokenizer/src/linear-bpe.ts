import type { GptEncoding } from 'gpt-tokenizer/cjs/GptEncoding';

/**
 * gpt-tokenizer 4.0.0 (the version package.json pins) encodes each piece its pre-tokenizer regex
 * cuts (a word, a run of punctuation, a run of whitespace) by merging byte pairs, and finds each
 * merge by scanning every pair of the piece again: O(n²) in the piece's bytes. Prose has short
 * pieces, but text without whitespace is one piece: 10k characters of "x" took 0.24 s, 160k
 * took 65 s. `withLinearBpe` makes an encoding merge its pieces here instead, with the same merge
 * order (lowest rank first, leftmost on a tie) kept in a heap, in windows of WINDOW_BYTES:
 * O(n log WINDOW_BYTES), each merge's token found without allocating (TokenTable, behind a cache
 * of pairs). Pieces up to LONG_PIECE_CHARS (the words of prose) are remembered in a PieceCache
 * instead of the package's cache (see there).
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
  getBpeRankFromString(text: string): number | undefined;
  /** Each rank's text, or its bytes when they are not UTF-8. */
  bytePairRankDecoder: readonly (string | readonly number[] | undefined)[];
  /** The pre-tokenizer (global). */
  tokenSplitRegex: RegExp;
}

/** A vocabulary to encode with: each rank's bytes, and the rank the package finds for a byte sequence. */
export interface Vocabulary {
  /** Indexed by rank: its text, or its bytes; holes for unused ranks. */
  tokens: readonly (string | readonly number[] | undefined)[];
  ofBytes(bytes: Uint8Array): number | undefined;
  ofString(text: string): number | undefined;
}

interface LinearParts {
  core: BytePairCore;
  long: LongPieceEncoder;
}
const linear = new WeakMap<object, LinearParts>();

function coreOf(encoding: GptEncoding): BytePairCore {
  const core = (encoding as unknown as { bytePairEncodingCoreProcessor?: Partial<BytePairCore> }).bytePairEncodingCoreProcessor;
  if (
    !core ||
    typeof core.bytePairEncode !== 'function' ||
    typeof core.getBpeRankFromBytes !== 'function' ||
    typeof core.getBpeRankFromString !== 'function' ||
    !Array.isArray(core.bytePairRankDecoder) ||
    !(core.tokenSplitRegex instanceof RegExp) ||
    !core.tokenSplitRegex.global
  ) {
    throw new Error('gpt-tokenizer no longer has the BytePairEncodingCore internals withLinearBpe replaces (written for 4.0.0): check libs/tokenizer before upgrading it');
  }
  return core as BytePairCore;
}

/**
 * Makes the encoding's own encode / countTokens (and so every caller's) linear on long pieces.
 * Changes the instance in place, once; returns it.
 */
export function withLinearBpe<T extends GptEncoding>(encoding: T): T {
  const core = coreOf(encoding);
  if (linear.has(core)) return encoding;
  if (encoding.vocabularySize > RANK_LIMIT) throw new Error(`withLinearBpe handles ranks below ${RANK_LIMIT}; this encoding has ${encoding.vocabularySize} tokens`);
  const long = new LongPieceEncoder({ tokens: core.bytePairRankDecoder, ofBytes: core.getBpeRankFromBytes.bind(core), ofString: core.getBpeRankFromString.bind(core) });
  const pieces = new PieceCache();
  core.bytePairEncode = (piece: string) => {
    if (piece.length > LONG_PIECE_CHARS) return long.encode(piece);
    let tokens = pieces.get(piece);
    if (tokens === undefined) {
      tokens = long.encode(piece);
      pieces.set(piece, tokens);
    }
    return tokens;
  };
  linear.set(core, { core, long });
  return encoding;
}

/** The encoding's core and long-piece encoder, once withLinearBpe changed it. */
export function linearPartsOf(encoding: GptEncoding): LinearParts {
  const parts = linear.get(coreOf(encoding));
  if (!parts) throw new Error('count with an encoding withLinearBpe changed');
  return parts;
}

const utf8 = new TextEncoder();

// Distinct short pieces remembered: prose repeats its words. ~10 MB at most.
const CACHED_PIECES = 100_000;

/**
 * Short pieces' tokens (what gpt-tokenizer's merge cache does, which moves each hit to the end of
 * a Map and evicts from its front: with distinct pieces, such as random words, V8's Map then scans
 * the holes its deletions left, and 1 MB of them took 11 s). Full, it starts over.
 */
class PieceCache {
  private readonly map = new Map<string, number[]>();

  get(piece: string): number[] | undefined {
    return this.map.get(piece);
  }

  set(piece: string, tokens: number[]): void {
    if (this.map.size >= CACHED_PIECES) this.map.clear();
    this.map.set(piece, tokens);
  }
}

/** Merges long pieces window by window, reusing its buffers (an encoding is used by one thread). */
export class LongPieceEncoder {
  private readonly byteRanks = new Int32Array(256);
  // What two adjacent bytes merge into, by (first << 8 | second): every window starts with them.
  private readonly bytePairRanks = new Int32Array(256 * 256).fill(UNKNOWN);
  private readonly table: TokenTable;
  // Per window, indexed by a part's first byte: the next part's start, the previous part's start
  // and the part's token; the heap holds each part's pair with the next part that is a token.
  private readonly next = new Int32Array(SPAN + 1);
  private readonly prev = new Int32Array(SPAN + 1);
  private readonly partRank = new Int32Array(SPAN);
  private readonly heap = new PairHeap(SPAN);

  constructor(vocabulary: Vocabulary) {
    this.table = new TokenTable(vocabulary);
    for (let byte = 0; byte < 256; byte++) {
      const rank = vocabulary.ofBytes(Uint8Array.of(byte));
      if (rank === undefined) throw new Error(`the encoding has no token for byte ${byte}`);
      this.byteRanks[byte] = rank;
    }
  }

  /** The piece's tokens. */
  encode(piece: string): number[] {
    const tokens: number[] = [];
    const windows = this.windows(piece, tokens);
    while (!windows.next().done);
    return tokens;
  }

  /**
   * Merges the piece a window at a time, yielding each window's number of tokens (pushed onto
   * `tokens` when given). Each window's merge is synchronous and the buffers hold nothing between
   * windows: a caller may yield to the event loop there, and other pieces be encoded meanwhile.
   */
  *windows(piece: string, tokens?: number[]): Generator<number, void, undefined> {
    const bytes = utf8.encode(piece);
    let start = 0;
    while (start < bytes.length) {
      const end = Math.min(bytes.length, start + SPAN);
      this.merge(bytes, start, end - start);
      // The last window keeps all its parts; others those that end before the margin (at least one).
      const keepUntil = end === bytes.length ? end - start : WINDOW_BYTES;
      let count = 0;
      let at = 0;
      do {
        tokens?.push(this.partRank[at]);
        count++;
        at = this.next[at];
      } while (at < end - start && this.next[at] <= keepUntil);
      start += at;
      yield count;
    }
  }

  /** Merges bytes[offset, offset + length) into parts: next[] and partRank[] from 0. */
  private merge(bytes: Uint8Array, offset: number, length: number): void {
    const { next, prev, partRank, heap, table } = this;
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
        rank = table.merged(partRank[i], partRank[i + 1]);
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
      heap.set(start, end < length ? table.merged(rank, partRank[end]) : NONE);
      if (start > 0) {
        const before = prev[start];
        heap.set(before, table.merged(partRank[before], rank));
      }
    }
  }
}

// Polynomial hash of a token's bytes (mod 2^32): hash(a + b) = hash(a) * BASE^length(b) + hash(b).
const BASE = 0x01000193;
const mix = (hash: number, mask: number) => {
  const h = Math.imul(hash ^ (hash >>> 16), 0x45d9f3b);
  return (h ^ (h >>> 16)) & mask;
};

/**
 * Which token, if any, two adjacent tokens' bytes make together: a hash table over every token's
 * bytes, keyed by a hash the pair's own hashes give in O(1), the bytes then compared. It answers
 * as the package's getBpeRankFromBytes (a token is entered only where that finds it) without
 * building a string or an array per lookup.
 */
class TokenTable {
  /** Per rank: the hash of its bytes, and where they lie in `bytes` ([offsets[r], offsets[r + 1])). */
  private readonly hashes: Int32Array;
  private readonly offsets: Int32Array;
  private readonly bytes: Uint8Array;
  /** BASE^n for n up to the longest token. */
  private readonly powers: Int32Array;
  /** rank + 1 of the token in each slot, 0 when empty. */
  private readonly slots: Int32Array;
  private readonly mask: number;

  constructor({ tokens, ofBytes, ofString }: Vocabulary) {
    const count = tokens.length;
    this.hashes = new Int32Array(count);
    this.offsets = new Int32Array(count + 1);
    let bytes = new Uint8Array(16 * count);
    let length = 0;
    let longest = 0;
    const entered: number[] = [];
    for (let rank = 0; rank < count; rank++) {
      const token = tokens[rank];
      this.offsets[rank] = length;
      if (token === undefined) continue;
      if (bytes.length - length < 4 * token.length) {
        const grown = new Uint8Array(2 * bytes.length + 4 * token.length);
        grown.set(bytes.subarray(0, length));
        bytes = grown;
      }
      const start = length;
      let found: number | undefined;
      if (typeof token !== 'string') {
        for (const byte of token) bytes[length++] = byte;
        found = ofBytes(bytes.subarray(start, length));
      } else {
        let ascii = true;
        for (let i = 0; i < token.length && ascii; i++) {
          const code = token.charCodeAt(i);
          ascii = code < 0x80;
          bytes[length + i] = code;
        }
        if (ascii) length += token.length;
        else length += utf8.encodeInto(token, bytes.subarray(length)).written;
        // The package looks a sequence up by its text when it is valid UTF-8, which lone surrogates are not.
        found = ascii || !/[\uD800-\uDFFF]/.test(token) ? ofString(token) : ofBytes(bytes.subarray(start, length));
      }
      if (found === rank) entered.push(rank);
      let hash = 0;
      for (let i = start; i < length; i++) hash = (Math.imul(hash, BASE) + bytes[i] + 1) | 0;
      this.hashes[rank] = hash;
      longest = Math.max(longest, length - start);
    }
    this.offsets[count] = length;
    this.bytes = bytes.slice(0, length);
    this.powers = new Int32Array(longest + 1);
    this.powers[0] = 1;
    for (let n = 1; n <= longest; n++) this.powers[n] = Math.imul(this.powers[n - 1], BASE);
    let capacity = 1024;
    while (capacity < 2 * entered.length) capacity *= 2;
    this.slots = new Int32Array(capacity);
    this.mask = capacity - 1;
    for (const rank of entered) {
      let i = mix(this.hashes[rank], this.mask);
      while (this.slots[i] !== 0) i = (i + 1) & this.mask;
      this.slots[i] = rank + 1;
    }
  }

  // The pairs already looked up: a run meets the same pairs again and again, and a small table is faster to read.
  private readonly known = new PairRanks();

  /** The token whose bytes are token a's then token b's, NONE if there is none. */
  merged(a: number, b: number): number {
    let rank = this.known.get(a, b);
    if (rank === UNKNOWN) {
      rank = this.lookUp(a, b);
      this.known.set(a, b, rank);
    }
    return rank;
  }

  private lookUp(a: number, b: number): number {
    const { offsets, hashes, bytes, slots, mask } = this;
    const aStart = offsets[a];
    const aLength = offsets[a + 1] - aStart;
    const bStart = offsets[b];
    const bLength = offsets[b + 1] - bStart;
    if (aLength + bLength >= this.powers.length) return NONE;
    const hash = (Math.imul(hashes[a], this.powers[bLength]) + hashes[b]) | 0;
    for (let i = mix(hash, mask); ; i = (i + 1) & mask) {
      const entry = slots[i];
      if (entry === 0) return NONE;
      const rank = entry - 1;
      if (hashes[rank] !== hash) continue;
      const start = offsets[rank];
      if (offsets[rank + 1] - start !== aLength + bLength) continue;
      let same = true;
      for (let k = 0; k < aLength && same; k++) same = bytes[start + k] === bytes[aStart + k];
      for (let k = 0; k < bLength && same; k++) same = bytes[start + aLength + k] === bytes[bStart + k];
      if (same) return rank;
    }
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

// 2^17 pairs in 2^18 slots: 3 MB at most. Random letters meet ~300k distinct pairs per MB. Full, the
// table starts over: kept, the pairs of one such text made every later text's lookups misses.
const MAX_PAIRS = 1 << 17;

/**
 * What two adjacent tokens merge into (a token, or NONE), remembered by their ranks: the bytes
 * are the same whatever their position, so each pair is looked up in the TokenTable once.
 * Open addressing over typed arrays; once full it starts over (it is only a cache).
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
      if (this.size < MAX_PAIRS) this.grow();
      else {
        this.first.fill(NONE);
        this.size = 0;
      }
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
