import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { sluiceCacheDir } from '../maven-distribution';

/** The Helm release the chart tests render with (built from the Go module proxy: no other download is reachable here). */
export const HELM_MODULE = 'helm.sh/helm/v3/cmd/helm';
export const HELM_VERSION = 'v3.19.0';

export interface HelmBinary {
  path: string;
  version: string;
  built: boolean;
}

export function helmBinaryPath(): string {
  return join(sluiceCacheDir(), `helm-${HELM_VERSION}`, 'helm');
}

/**
 * Helm, built once with `go install` into the Sluice cache (`~/.cache/sluice/helm-<version>`;
 * a few minutes the first time, then reused). Throws, naming what is missing, when Go is not
 * installed.
 */
export function ensureHelm(): HelmBinary {
  const path = helmBinaryPath();
  if (existsSync(path)) return { path, version: HELM_VERSION, built: false };
  const dir = join(sluiceCacheDir(), `helm-${HELM_VERSION}`);
  const partial = `${dir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  try {
    execFileSync('go', ['install', `${HELM_MODULE}@${HELM_VERSION}`], {
      env: { ...process.env, GOBIN: partial, GOFLAGS: '-mod=mod', CGO_ENABLED: '0' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (err) {
    rmSync(partial, { recursive: true, force: true });
    const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
    if (e.code === 'ENOENT') throw new Error('the Helm chart tests need Go (to build helm from the Go module proxy): install Go 1.24+ and put `go` on the PATH');
    throw new Error(`go install ${HELM_MODULE}@${HELM_VERSION} failed: ${e.stderr?.toString().slice(-2000) ?? e.message}`);
  }
  rmSync(dir, { recursive: true, force: true });
  renameSync(partial, dir);
  return { path, version: HELM_VERSION, built: true };
}
