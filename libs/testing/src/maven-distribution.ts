import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MAVEN, requireCommands } from './prerequisites';

const execFileAsync = promisify(execFile);

/**
 * A set of jars a pom pins, fetched from Maven Central with `mvn dependency:copy-dependencies`
 * into `<cache>/<cachePrefix>-<version>-<pom hash>/libs`. .ci/install-prereqs.sh (fetch_with_mvn)
 * fills the same folders without Node: keep the two layouts in step.
 */
export interface MavenDistributionSpec {
  /** Absolute path of the pom. */
  pom: string;
  /** The pom property holding the version, e.g. `kafka.version`. */
  versionProperty: string;
  /** First part of the cache folder's name, e.g. `kafka`. */
  cachePrefix: string;
  /** What is downloaded, for the error message, e.g. `Apache Kafka 4.1.0 jars`. */
  describe(version: string): string;
}

export interface MavenDistributionPaths {
  version: string;
  home: string;
  /** Folder holding the copied jars; it exists only once the whole copy finished. */
  libsDir: string;
}

export interface MavenDistribution {
  version: string;
  libsDir: string;
  /** True when this call had to download the jars. */
  downloaded: boolean;
}

/** One pom's jars: its version, its cache folder, and the download. */
export interface MavenJars {
  version(pomXml?: string): string;
  paths(): MavenDistributionPaths;
  isCached(): boolean;
  ensure(): Promise<MavenDistribution>;
}

export function mavenJars(spec: MavenDistributionSpec): MavenJars {
  return {
    version: (pomXml) => pomVersion(spec, pomXml),
    paths: () => mavenDistributionPaths(spec),
    isCached: () => isMavenDistributionCached(spec),
    ensure: () => ensureMavenDistribution(spec),
  };
}

export function sluiceCacheDir(): string {
  return process.env.SLUICE_CACHE_DIR ?? join(homedir(), '.cache', 'sluice');
}

/** The text of `<versionProperty>` in the pom. */
export function pomVersion(spec: Pick<MavenDistributionSpec, 'pom' | 'versionProperty'>, pomXml = readFileSync(spec.pom, 'utf8')): string {
  const tag = spec.versionProperty.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`<${tag}>([^<]+)</${tag}>`).exec(pomXml);
  if (!match) throw new Error(`no <${spec.versionProperty}> in ${spec.pom}`);
  return match[1].trim();
}

/**
 * The folder name carries a hash of the pom, so editing the pom (another version, another
 * dependency) fetches a fresh set instead of running a stale one.
 */
export function mavenDistributionPaths(spec: MavenDistributionSpec): MavenDistributionPaths {
  const pomXml = readFileSync(spec.pom, 'utf8');
  const version = pomVersion(spec, pomXml);
  const pomHash = createHash('sha256').update(pomXml).digest('hex').slice(0, 10);
  const home = join(sluiceCacheDir(), `${spec.cachePrefix}-${version}-${pomHash}`);
  return { version, home, libsDir: join(home, 'libs') };
}

/** True when the jars are cached, so using them needs no Maven and no network. */
export function isMavenDistributionCached(spec: MavenDistributionSpec): boolean {
  return existsSync(mavenDistributionPaths(spec).libsDir);
}

/** The pom's runtime jars from Maven Central, copied once into the user cache. */
export async function ensureMavenDistribution(spec: MavenDistributionSpec): Promise<MavenDistribution> {
  const { version, home, libsDir } = mavenDistributionPaths(spec);
  if (existsSync(libsDir)) return { version, libsDir, downloaded: false };

  const mvn = requireCommands([MAVEN]).get(MAVEN.command)!;
  mkdirSync(home, { recursive: true });
  // Copy into a private folder and rename at the end, so an interrupted download never
  // leaves a half-filled `libs` that later runs would trust.
  const partial = join(home, `libs.partial-${process.pid}`);
  rmSync(partial, { recursive: true, force: true });
  try {
    await execFileAsync(
      mvn,
      ['-B', '-q', '-Dstyle.color=never', '-f', spec.pom, 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${partial}`],
      { maxBuffer: 16 * 1024 * 1024 },
    );
  } catch (err) {
    rmSync(partial, { recursive: true, force: true });
    const output = err as { stdout?: string; stderr?: string };
    throw new Error(
      `Downloading ${spec.describe(version)} from Maven Central failed (mvn -f ${spec.pom} dependency:copy-dependencies):\n` +
        `${output.stdout ?? ''}${output.stderr ?? ''}`.trim().slice(-4_000),
    );
  }
  try {
    renameSync(partial, libsDir);
  } catch (err) {
    // Another process finished the same download first; its copy is as good as ours.
    rmSync(partial, { recursive: true, force: true });
    if (!existsSync(libsDir)) throw err;
  }
  return { version, libsDir, downloaded: true };
}
