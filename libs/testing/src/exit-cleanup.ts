const cleanups = new Set<() => void>();
let installed = false;

/**
 * Runs `cleanup` synchronously if this process exits before the server was stopped, so a
 * crashed or interrupted test run does not leave a broker or a postmaster running.
 * Returns the function that unregisters it (call it from a normal stop()).
 */
export function onProcessExit(cleanup: () => void): () => void {
  if (!installed) {
    installed = true;
    process.once('exit', runCleanups);
    // A signal ends Node without 'exit' (Ctrl-C, a CI timeout): clean up, then die of the
    // same signal so the parent sees what happened.
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.once(signal, () => {
        runCleanups();
        process.kill(process.pid, signal);
      });
    }
  }
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

function runCleanups(): void {
  for (const fn of cleanups) {
    try {
      fn();
    } catch {
      // Best effort at exit: nothing is left to report to.
    }
  }
  cleanups.clear();
}

/** Blocks the thread; only for exit handlers, where nothing asynchronous runs any more. */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
