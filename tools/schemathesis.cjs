// Schemathesis (PyPI, pinned) in a git-ignored virtualenv under .cache/, installed once:
// `node tools/schemathesis.cjs` prints the path of its `st` command, installing it first if
// needed (Python 3.9+ with venv; PYTHON names another interpreter). .ci/run calls it before
// the tests; apps/sluice/src/e2e/openapi-contract.e2e.spec.ts calls it too, so `npm test`
// alone works on a machine that can reach PyPI.
const { spawnSync } = require('node:child_process');
const { existsSync, rmSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const SCHEMATHESIS_VERSION = '4.32.5';
const venv = join(__dirname, '..', '.cache', `schemathesis-${SCHEMATHESIS_VERSION}`);
const st = join(venv, 'bin', 'st');
// Written last: a venv without it is an install that stopped half way and is made again.
const done = join(venv, '.installed');

/** Runs a step of the install; its output goes to stderr, so stdout carries only the path. */
function run(command, args) {
  const result = spawnSync(command, args, { stdio: ['ignore', 2, 2] });
  if (result.status !== 0) {
    const why = result.error ? result.error.message : `exit ${result.status}`;
    throw new Error(`schemathesis install: ${command} ${args.join(' ')} failed (${why})`);
  }
}

function ensureSchemathesis() {
  if (existsSync(done)) return st;
  rmSync(venv, { recursive: true, force: true });
  // The venv's scripts hold its absolute path, so it is built where it stays.
  run(process.env.PYTHON || 'python3', ['-m', 'venv', venv]);
  run(join(venv, 'bin', 'python'), ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', `schemathesis==${SCHEMATHESIS_VERSION}`]);
  writeFileSync(done, `${SCHEMATHESIS_VERSION}\n`);
  return st;
}

if (require.main === module) {
  try {
    process.stdout.write(`${ensureSchemathesis()}\n`);
  } catch (err) {
    console.error(err.message);
    process.exit(1);
  }
}

module.exports = { ensureSchemathesis, SCHEMATHESIS_VERSION };
