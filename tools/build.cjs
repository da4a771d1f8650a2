// Compiles the TypeScript of apps/, libs/ and bench/ (specs excepted) into dist/ with the same
// swc settings tools/register.cjs uses (decorator metadata for Nest DI, the tsconfig path
// aliases rewritten to relative requires), so services run as plain JavaScript: without the
// run-time compiler (swc's native binding and TypeScript itself, ~90 MB of RSS) and without
// compiling every file at each start. The start:* scripts run it first (npm's pre-scripts); it
// recompiles only sources newer than their output and drops output whose source is gone. It also
// writes the tokenizer's rank tables as JSON for the compiled catalogue (less memory than the
// package's modules; libs/catalogue/src/encodings.ts).
// Type checking stays with `npm run lint`.
const { createHash } = require('node:crypto');
const { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } = require('node:fs');
const { dirname, join, relative, resolve } = require('node:path');

const root = resolve(__dirname, '..');
const outDir = join(root, 'dist');
const sourceFolders = ['apps', 'libs', 'bench'];

function swcOptions() {
  const { compilerOptions } = JSON.parse(readFileSync(join(root, 'tsconfig.base.json'), 'utf8'));
  const paths = Object.fromEntries(Object.entries(compilerOptions.paths).map(([alias, targets]) => [alias, targets.map((t) => resolve(root, t))]));
  return {
    swcrc: false,
    jsc: {
      target: compilerOptions.target.toLowerCase(),
      parser: { syntax: 'typescript', decorators: true, dynamicImport: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: true },
      keepClassNames: true,
      baseUrl: root,
      paths,
    },
    module: { type: 'commonjs' },
    sourceMaps: true,
  };
}

/** The .ts files to compile, relative to the root: sources, not specs or declarations. */
function sources(folder, found = []) {
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') sources(path, found);
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') && !entry.name.endsWith('.d.ts')) {
      found.push(relative(root, path));
    }
  }
  return found;
}

function outputs(folder, found = []) {
  if (!existsSync(folder)) return found;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) outputs(path, found);
    else if (entry.name.endsWith('.js')) found.push(path);
  }
  return found;
}

/** Services started together build together: a file is replaced whole, never seen half written. */
function writeAtomically(path, content) {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, content);
  renameSync(temp, path);
}

async function build() {
  const options = swcOptions();
  // Other compiler settings or another swc version invalidate everything compiled before.
  const versions = ['@swc/core', 'gpt-tokenizer'].map((name) => require(`${name}/package.json`).version);
  const stamp = createHash('sha256').update(JSON.stringify(options)).update(versions.join()).digest('hex');
  const stampFile = join(outDir, '.build-stamp');
  const fresh = existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp;
  // An image may leave bench/ out.
  const files = sourceFolders.filter((folder) => existsSync(join(root, folder))).flatMap((folder) => sources(join(root, folder)));
  const expected = new Set(files.map((file) => join(outDir, file.replace(/\.ts$/, '.js'))));
  for (const stale of outputs(join(outDir, 'apps')).concat(outputs(join(outDir, 'libs')), outputs(join(outDir, 'bench')))) {
    if (!expected.has(stale)) rmSync(stale, { force: true }), rmSync(`${stale}.map`, { force: true });
  }
  const todo = files.filter((file) => {
    const out = join(outDir, file.replace(/\.ts$/, '.js'));
    return !fresh || !existsSync(out) || statSync(out).mtimeMs < statSync(join(root, file)).mtimeMs;
  });
  const swc = todo.length > 0 ? require('@swc/core') : null;
  await Promise.all(
    todo.map(async (file) => {
      const out = join(outDir, file.replace(/\.ts$/, '.js'));
      const { code, map } = await swc.transformFile(join(root, file), { ...options, filename: join(root, file), outputPath: out });
      mkdirSync(dirname(out), { recursive: true });
      if (map) writeAtomically(`${out}.map`, map);
      writeAtomically(out, `${code}\n//# sourceMappingURL=${out.split('/').at(-1)}.map\n`);
    }),
  );
  // The tokenizer rank tables as JSON beside the compiled tokenizer library (see libs/tokenizer/src/encodings.ts).
  const encodings = require(join(outDir, 'libs', 'tokenizer', 'src', 'encodings.js'));
  if (!fresh || !existsSync(encodings.RANK_TABLES_DIR)) encodings.writeRankTables();
  mkdirSync(outDir, { recursive: true });
  writeAtomically(stampFile, stamp);
  return { compiled: todo.length, total: files.length };
}

build().then(
  ({ compiled, total }) => compiled > 0 && console.error(`build: ${compiled} of ${total} files compiled into dist/`),
  (err) => {
    console.error(`build failed: ${err.message}`);
    process.exit(1);
  },
);
