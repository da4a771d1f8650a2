// `npm test`: every jest project (unit, contract, integration), then the plain closing line
// `N passed, N failed` that CI reads, whatever jest printed before it.
const { spawnSync } = require('node:child_process');
const { existsSync, mkdirSync, readFileSync, rmSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const results = join(root, '.cache', 'jest-results.json');
mkdirSync(join(root, '.cache'), { recursive: true });
rmSync(results, { force: true });
const jest = join(root, 'node_modules', 'jest', 'bin', 'jest.js');
const run = spawnSync(process.execPath, [jest, '--json', `--outputFile=${results}`, ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, NODE_OPTIONS: [process.env.NODE_OPTIONS, '--experimental-vm-modules'].filter(Boolean).join(' ') },
});
if (!existsSync(results)) {
  console.log('0 passed, 1 failed');
  process.exit(run.status || 1);
}
const { numPassedTests, numFailedTests, numTotalTests, success } = JSON.parse(readFileSync(results, 'utf8'));
const status = run.status === 0 && success && numTotalTests > 0 ? 0 : run.status || 1;
console.log(`${numPassedTests} passed, ${numFailedTests} failed`);
process.exit(status);
