import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEncoding, writeRankTables } from './encodings';

const texts = ['hello world', 'Привет, как дела? 日本語のテキスト 🚀', 'say <|endoftext|> twice', '   spaced\n\ttabs\r\n', ''];
const plain = { disallowedSpecial: new Set<string>() };

describe('loadEncoding', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-bpe-ranks-'));
    writeRankTables(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(['o200k_base', 'cl100k_base'] as const)('%s from the JSON rank table counts as the package does', (name) => {
    const fromJson = loadEncoding(name, dir);
    const fromPackage = loadEncoding(name, join(dir, 'absent'));
    for (const text of texts) expect(fromJson.countTokens(text, plain)).toBe(fromPackage.countTokens(text, plain));
    expect(fromJson.countTokens('hello world', plain)).toBe(2);
  });
});
