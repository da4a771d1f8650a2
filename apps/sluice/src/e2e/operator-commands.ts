import { spawn } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..', '..', '..');

/** Runs an operator command as a user would (a separate process); resolves with its exit code. */
export function runOperatorCommand(script: string, args: string[], env: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-r', './tools/register.cjs', script, ...args], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c));
    child.stderr.on('data', (c: Buffer) => (output += c));
    child.on('exit', (code) => {
      if (code !== 0) process.stderr.write(`${script} exited ${code}:\n${output}\n`);
      resolve(code ?? 1);
    });
  });
}

export const LEDGER_CHECK = 'apps/billing/src/ledger/ledger-check.cli.ts';
export const REBUILD = 'apps/api/src/read-models/rebuild.cli.ts';
