import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { sluiceCacheDir } from '../maven-distribution';

/** What the Prometheus server's own PromQL parser reads of one expression (tools/promql-metrics). */
export interface PromqlMetrics {
  /** The metric name of each selector, in order ("" for a selector without an exact name). */
  metrics: string[];
  /** The parser's message when the expression is not valid PromQL. */
  error?: string;
}

const SOURCE = join(__dirname, '..', '..', '..', '..', 'tools', 'promql-metrics');

/**
 * tools/promql-metrics, built once with Go into the Sluice cache (keyed by its sources, so an
 * edit rebuilds it); its modules come from the Go module proxy like helm's.
 */
export function ensurePromqlMetrics(): string {
  const digest = createHash('sha256');
  for (const file of ['main.go', 'go.mod', 'go.sum']) digest.update(readFileSync(join(SOURCE, file)));
  const dir = join(sluiceCacheDir(), `promql-metrics-${digest.digest('hex').slice(0, 12)}`);
  const path = join(dir, 'promql-metrics');
  if (existsSync(path)) return path;
  const partial = `${dir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  try {
    execFileSync('go', ['build', '-o', join(partial, 'promql-metrics'), '.'], { cwd: SOURCE, env: { ...process.env, CGO_ENABLED: '0', GOTOOLCHAIN: 'local' }, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    rmSync(partial, { recursive: true, force: true });
    const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
    if (e.code === 'ENOENT') throw new Error('the dashboard tests need Go (to build tools/promql-metrics, the PromQL parser): install Go 1.24+ and put `go` on the PATH');
    throw new Error(`building tools/promql-metrics failed: ${e.stderr?.toString().slice(-2000) ?? e.message}`);
  }
  rmSync(dir, { recursive: true, force: true });
  renameSync(partial, dir);
  return path;
}

/** Parses each PromQL expression as a Prometheus server would and names the metrics it reads. */
export function promqlMetrics(exprs: readonly string[]): PromqlMetrics[] {
  const out = execFileSync(ensurePromqlMetrics(), [], { input: JSON.stringify(exprs), encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(out) as PromqlMetrics[];
}
