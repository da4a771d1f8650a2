import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..', '..');
const MAIN = 'apps/sluice/src/main.ts';

/**
 * Sluice (embedded) in a child process, as `npm start` runs it from the sources
 * (`node -r ./tools/register.cjs apps/sluice/src/main.ts`): the crash suites SIGKILL it.
 */
export class SluiceChild {
  private output = '';
  readonly url: Promise<string>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(private readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    this.url = new Promise((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        this.output += chunk.toString('utf8');
        const found = /listening on (http:\/\/\S+)/.exec(this.output);
        if (found) resolve(found[1]);
      });
      child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString('utf8')));
      void this.exited.then(({ code, signal }) => reject(new Error(`sluice exited (${code ?? signal}) before listening:\n${this.output}`)));
    });
  }

  /** On a free port, with its data in `dataDir` and `env` on top of this process's environment. */
  static start(dataDir: string, env: Record<string, string>): SluiceChild {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, SLUICE_DATA_DIR: dataDir, PORT: '0', HEARTBEAT_INTERVAL_MS: '500', ...env };
    // jest's --experimental-vm-modules is for PGlite under jest; npm start runs without it.
    delete childEnv.NODE_OPTIONS;
    return new SluiceChild(spawn(process.execPath, ['-r', './tools/register.cjs', MAIN], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] }));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGKILL: no handler runs, nothing is flushed. */
  kill(): void {
    this.child.kill('SIGKILL');
  }

  /** SIGTERM (npm start's clean stop); fails unless it exits 0. */
  async stop(): Promise<void> {
    this.child.kill('SIGTERM');
    const { code, signal } = await this.exited;
    if (code !== 0) throw new Error(`sluice stopped with ${code ?? signal}:\n${this.output}`);
  }

  get log(): string {
    return this.output;
  }
}
