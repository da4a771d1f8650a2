import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RawBytePairRanks } from 'gpt-tokenizer/cjs/BytePairEncodingCore';
import type { GptEncoding } from 'gpt-tokenizer/cjs/GptEncoding';
import { withLinearBpe } from './linear-bpe';

export type Encoding = GptEncoding;
/** The encodings Sluice counts with (the catalogue's `tokenizer` of a model). */
export type TokenizerEncoding = 'o200k_base' | 'cl100k_base';

/**
 * Where the rank tables are found as JSON: beside this module, in `npm run build`'s output
 * (tools/build.cjs calls writeRankTables). gpt-tokenizer ships each table as a JS module, an
 * array literal of up to 2.4 MB that V8 compiles as code; parsed as JSON the same table costs
 * ~25 MB less RSS. Run from the sources (tests, CLIs), the package's modules serve instead.
 */
export const RANK_TABLES_DIR = join(__dirname, 'bpe-ranks');

const ENCODINGS: readonly TokenizerEncoding[] = ['o200k_base', 'cl100k_base'];

// The cjs/ paths because the workspace's "node" module resolution does not read the exports map.
function packagedRanks(name: TokenizerEncoding): RawBytePairRanks {
  return (require(`gpt-tokenizer/cjs/bpeRanks/${name}`) as { default: RawBytePairRanks }).default;
}

const loaded: Partial<Record<TokenizerEncoding, Encoding>> = {};

/**
 * The thread's one copy of an encoding (loadEncoding's, from RANK_TABLES_DIR), built when first
 * asked for: the exchange's counting and the demo market share it when they share a thread.
 */
export function encodingNamed(name: TokenizerEncoding): Encoding {
  return (loaded[name] ??= loadEncoding(name));
}

/**
 * An encoding, built when first asked for (each costs tens of MB: a service loads only those
 * its models use). From the JSON rank table in `dir` when there is one, else from the package.
 * Linear on long runs without whitespace (withLinearBpe): the package alone is quadratic there.
 */
export function loadEncoding(name: TokenizerEncoding, dir = RANK_TABLES_DIR): Encoding {
  const table = join(dir, `${name}.json`);
  if (!existsSync(table)) return withLinearBpe((require(`gpt-tokenizer/cjs/encoding/${name}`) as { default: GptEncoding }).default);
  const { GptEncoding: Gpt } = require('gpt-tokenizer/cjs/GptEncoding') as typeof import('gpt-tokenizer/cjs/GptEncoding');
  return withLinearBpe(Gpt.getEncodingApi(name, () => JSON.parse(readFileSync(table, 'utf8')) as RawBytePairRanks));
}

/** Writes every encoding's rank table as JSON into `dir`, whole or not at all (the build's step for loadEncoding). */
export function writeRankTables(dir = RANK_TABLES_DIR): void {
  const writing = `${dir}.${process.pid}`;
  mkdirSync(writing, { recursive: true });
  for (const name of ENCODINGS) writeFileSync(join(writing, `${name}.json`), JSON.stringify(packagedRanks(name)));
  rmSync(dir, { recursive: true, force: true });
  try {
    renameSync(writing, dir);
  } catch (err) {
    // Another build (services started together) put the same tables there first.
    rmSync(writing, { recursive: true, force: true });
    if (!existsSync(dir)) throw err;
  }
}
