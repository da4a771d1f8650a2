#!/usr/bin/env node
// The `sluice` command (package.json "bin"): runs the CLI's TypeScript sources through the
// repository's swc register hook, as `npm run sluice --` does, from any working directory.
const { join } = require('node:path');
require(join(__dirname, '..', '..', '..', 'tools', 'register.cjs'));
require(join(__dirname, '..', 'src', 'cli', 'sluice.cli.ts')).runCli(process.argv);
