import { accessSync, constants, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** A tool the test servers need, and the Debian package that provides it. */
export interface Prerequisite {
  command: string;
  aptPackage: string;
  /** Directories searched after PATH (Debian keeps initdb and pg_ctl off PATH). */
  extraDirs?: () => string[];
}

export const JAVA: Prerequisite = { command: 'java', aptPackage: 'openjdk-17-jre-headless' };
export const MAVEN: Prerequisite = { command: 'mvn', aptPackage: 'maven' };
export const INITDB: Prerequisite = { command: 'initdb', aptPackage: 'postgresql', extraDirs: postgresBinDirs };
export const PG_CTL: Prerequisite = { command: 'pg_ctl', aptPackage: 'postgresql', extraDirs: postgresBinDirs };

export class MissingPrerequisitesError extends Error {
  override readonly name = 'MissingPrerequisitesError';
  constructor(readonly missing: Prerequisite[]) {
    const commands = missing.map((p) => p.command).join(', ');
    const packages = [...new Set(missing.map((p) => p.aptPackage))].join(' ');
    super(
      `The integration test servers need ${commands}, not found on PATH. ` +
        `Install with: apt-get install -y ${packages} (or run .ci/install-prereqs.sh as root).`,
    );
  }
}

/** Absolute path of each prerequisite; one error naming everything missing, so one install fixes it. */
export function requireCommands(prerequisites: Prerequisite[]): Map<string, string> {
  const found = new Map<string, string>();
  const missing: Prerequisite[] = [];
  for (const prerequisite of prerequisites) {
    const path = findCommand(prerequisite);
    if (path) found.set(prerequisite.command, path);
    else missing.push(prerequisite);
  }
  if (missing.length > 0) throw new MissingPrerequisitesError(missing);
  return found;
}

export function findCommand(prerequisite: Prerequisite): string | null {
  const pathDirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const dir of [...pathDirs, ...(prerequisite.extraDirs?.() ?? [])]) {
    const candidate = join(dir, prerequisite.command);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `/usr/lib/postgresql/<major>/bin`, newest major first. */
function postgresBinDirs(): string[] {
  const root = '/usr/lib/postgresql';
  try {
    return readdirSync(root)
      .filter((name) => /^\d+$/.test(name))
      .sort((a, b) => Number(b) - Number(a))
      .map((major) => join(root, major, 'bin'));
  } catch {
    return [];
  }
}
