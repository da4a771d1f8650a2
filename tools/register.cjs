// Runs the TypeScript sources directly (swc, with decorator metadata for Nest DI and the
// tsconfig path aliases), so `npm start` on a clean clone needs no build step.
process.env.SWC_NODE_PROJECT ??= require('node:path').join(__dirname, '..', 'tsconfig.base.json');
require('@swc-node/register');
