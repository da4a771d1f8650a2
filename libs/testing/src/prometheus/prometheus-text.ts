import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { sluiceCacheDir } from '../maven-distribution';

/** One metric family as the Prometheus project's own text parser reads it (tools/prom-text). */
export interface MetricFamily {
  name: string;
  help: string;
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  samples: { labels: Record<string, string>; value?: number; count?: number; sum?: number; buckets?: Record<string, number> }[];
}

const SOURCE = join(__dirname, '..', '..', '..', '..', 'tools', 'prom-text');

/**
 * tools/prom-text, built once with Go into the Sluice cache (keyed by its sources, so an edit
 * rebuilds it); its modules come from the Go module proxy like helm's.
 */
export function ensurePromText(): string {
  const digest = createHash('sha256');
  for (const file of ['main.go', 'go.mod', 'go.sum']) digest.update(readFileSync(join(SOURCE, file)));
  const dir = join(sluiceCacheDir(), `prom-text-${digest.digest('hex').slice(0, 12)}`);
  const path = join(dir, 'prom-text');
  if (existsSync(path)) return path;
  const partial = `${dir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  try {
    execFileSync('go', ['build', '-o', join(partial, 'prom-text'), '.'], { cwd: SOURCE, env: { ...process.env, CGO_ENABLED: '0', GOTOOLCHAIN: 'local' }, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    rmSync(partial, { recursive: true, force: true });
    const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
    if (e.code === 'ENOENT') throw new Error('the /metrics tests need Go (to build tools/prom-text, the Prometheus text parser): install Go 1.24+ and put `go` on the PATH');
    throw new Error(`building tools/prom-text failed: ${e.stderr?.toString().slice(-2000) ?? e.message}`);
  }
  rmSync(dir, { recursive: true, force: true });
  renameSync(partial, dir);
  return path;
}

/** Parses Prometheus text exposition as a Prometheus server would; throws with the parser's message when it is not valid. */
export function parsePrometheusText(text: string): MetricFamily[] {
  try {
    return JSON.parse(execFileSync(ensurePromText(), [], { input: text, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] })) as MetricFamily[];
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`not valid Prometheus text: ${e.stderr?.trim() || e.message}`);
  }
}
