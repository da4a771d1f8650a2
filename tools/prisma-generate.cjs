// Generates each service's Prisma client (engine-free, WASM query compiler).
// `prisma generate` tries to download a native schema engine it does not need; pointing
// PRISMA_SCHEMA_ENGINE_BINARY at any existing file lets it pass offline. This variable is
// set for generate only: with it set, the CLI's migrate commands silently apply nothing.
const { execFileSync } = require('node:child_process');
const { existsSync, readdirSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
// Services' schemas, plus libraries' test fixture schemas (libs/persistence tests its helpers
// against a real generated client).
const schemas = ['apps', 'libs']
  .flatMap((folder) => readdirSync(join(root, folder)).map((project) => join(root, folder, project, 'prisma', 'schema.prisma')))
  .filter((p) => existsSync(p));
const prismaCli = join(root, 'node_modules', 'prisma', 'build', 'index.js');
for (const schema of schemas) {
  execFileSync(process.execPath, [prismaCli, 'generate', '--schema', schema], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.execPath, PRISMA_HIDE_UPDATE_MESSAGE: '1' },
  });
}
console.log(`prisma clients generated: ${schemas.length}`);
