import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { workspaceRoot } from '../../services';

/** A TypeScript script running in its own node process, read line by line, killable. */
export class ScriptProcess {
  private readonly lines: string[] = [];
  private readonly waiters: (() => void)[] = [];
  private stderr = '';
  readonly exited: Promise<number | null>;

  private constructor(private readonly child: ChildProcess) {
    let partial = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      partial += chunk.toString('utf8');
      const parts = partial.split('\n');
      partial = parts.pop()!;
      this.lines.push(...parts);
      for (const wake of this.waiters.splice(0)) wake();
    });
    child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString('utf8')));
    this.exited = new Promise((resolve) => child.on('exit', (code) => {
      for (const wake of this.waiters.splice(0)) wake();
      resolve(code);
    }));
  }

  static start(script: string, args: unknown): ScriptProcess {
    const child = spawn(process.execPath, ['-r', join(workspaceRoot, 'tools', 'register.cjs'), script, JSON.stringify(args)], {
      cwd: workspaceRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new ScriptProcess(child);
  }

  /** The first stdout line starting with `prefix` (waits for it). */
  async line(prefix: string, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.find((line) => line.startsWith(prefix));
      if (found) return found;
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`script exited (${this.child.exitCode ?? this.child.signalCode}) before printing "${prefix}"\n${this.stderr}`);
      }
      if (Date.now() > deadline) throw new Error(`no "${prefix}" within ${timeoutMs} ms\n${this.stderr}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }

  /** SIGKILL: no handler, no cleanup, no flush; as a machine losing power would do to it. */
  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** Waits for a normal exit and fails with the script's stderr otherwise. */
  async succeeds(timeoutMs = 60_000): Promise<void> {
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    if (code !== 0) throw new Error(`script exited with ${code}\n${this.stderr}`);
  }
}
