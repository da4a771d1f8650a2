import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventLogLockedError } from './errors';

/**
 * Keeps a second process (or a second instance in this one) from opening the same log: the
 * lock is a file holding the owner's pid, created exclusively. A lock whose pid is no longer
 * running was left by a crash and is taken over. (Two processes taking over the same stale
 * lock at the same instant could both win; acceptable for a single-machine development log.)
 */
export class DirLock {
  private constructor(private readonly path: string) {}

  static acquire(dir: string): DirLock {
    const path = join(dir, 'LOCK');
    for (let attempt = 0; attempt < 3; attempt++) {
      // Written aside and hard-linked in, so the lock never exists without its pid.
      const mine = `${path}.${process.pid}`;
      writeFileSync(mine, String(process.pid));
      try {
        linkSync(mine, path);
        return new DirLock(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      } finally {
        removeIfPresent(mine);
      }
      const owner = readOwner(path);
      if (owner !== null && isRunning(owner)) throw new EventLogLockedError(dir, owner);
      removeIfPresent(path);
    }
    throw new Error(`could not take the lock of event log ${dir}`);
  }

  release(): void {
    removeIfPresent(this.path);
  }
}

function readOwner(path: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function removeIfPresent(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
