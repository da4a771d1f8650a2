import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { SchemaEngine } from '@prisma/schema-engine-wasm';
import * as glue from '@prisma/schema-engine-wasm/schema_engine_bg';
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';

export type { SchemaEngine };

/** The bits of the WebAssembly global used here; the project's `lib` (ES2023, no DOM) does not declare it. */
interface WebAssemblyApi {
  Module: { new (bytes: Uint8Array): object; imports(module: object): { module: string }[] };
  Instance: new (module: object, imports: Record<string, object>) => { exports: Record<string, unknown> };
}
const { WebAssembly } = globalThis as unknown as { WebAssembly: WebAssemblyApi };

let loaded = false;

/**
 * Timers the engine set. It never clears them (a 10 s timeout raced against its migration
 * lock outlives every migrate), and a pending timer keeps Node from exiting; they are
 * cleared once no engine is alive.
 */
const engineTimers = new Set<NodeJS.Timeout>();
let liveEngines = 0;

function trackedSetTimeout(callback: () => void, ms: number): NodeJS.Timeout {
  const timer = setTimeout(() => {
    engineTimers.delete(timer);
    callback();
  }, ms);
  engineTimers.add(timer);
  return timer;
}

/**
 * Instantiates Prisma's schema engine WebAssembly module once per process. The package's
 * own entry imports the `.wasm` as an ES module, which Node 20 cannot do, so the module is
 * compiled by hand and handed to the wasm-bindgen glue.
 */
function loadWasm(): void {
  if (loaded) return;
  const packageDir = dirname(require.resolve('@prisma/schema-engine-wasm/schema_engine_bg'));
  const module = new WebAssembly.Module(readFileSync(join(packageDir, 'schema_engine_bg.wasm')));
  const functions: Record<string, unknown> = { ...glue };
  for (const name of Object.keys(functions)) if (name.startsWith('__wbg_setTimeout_')) functions[name] = trackedSetTimeout;
  const imports: Record<string, object> = {};
  for (const entry of WebAssembly.Module.imports(module)) imports[entry.module] ??= functions;
  const instance = new WebAssembly.Instance(module, imports);
  glue.__wbg_set_wasm(instance.exports);
  (instance.exports.__wbindgen_start as (() => void) | undefined)?.();
  loaded = true;
}

/** The commit of prisma-engines the loaded schema engine was built from. */
export function schemaEngineVersion(): string {
  loadWasm();
  return glue.version();
}

/** A schema engine working through `adapter` (the database migrations run against, and its shadow databases). */
async function openSchemaEngine(
  adapter: SqlMigrationAwareDriverAdapterFactory,
  log: (message: string) => void = () => undefined,
): Promise<SchemaEngine> {
  loadWasm();
  const bound = bindMigrationAwareSqlAdapterFactory(adapter);
  return glue.SchemaEngine.new({ datamodels: undefined }, log, bound);
}

/**
 * Runs `work` with a fresh engine, then frees it and disposes every connection it opened.
 * The engine does not dispose its main connection itself: on PostgreSQL the idle pooled
 * client would keep the engine's session advisory lock, so the next migrate blocks until
 * pg's idle timeout (10 s) reaps it, and the process cannot exit before then either.
 */
export async function withSchemaEngine<T>(
  adapter: SqlMigrationAwareDriverAdapterFactory,
  work: (engine: SchemaEngine) => Promise<T>,
): Promise<T> {
  const open = new Set<SqlDriverAdapter>();
  const track = async (connecting: Promise<SqlDriverAdapter>) => {
    const connection = await connecting;
    const dispose = connection.dispose.bind(connection);
    open.add(connection);
    connection.dispose = () => {
      open.delete(connection);
      return dispose();
    };
    return connection;
  };
  const tracked: SqlMigrationAwareDriverAdapterFactory = {
    provider: adapter.provider,
    adapterName: adapter.adapterName,
    connect: () => track(adapter.connect()),
    connectToShadowDb: () => track(adapter.connectToShadowDb()),
  };
  const engine = await openSchemaEngine(tracked);
  liveEngines += 1;
  try {
    return await work(engine);
  } finally {
    engine.free();
    liveEngines -= 1;
    if (liveEngines === 0) {
      for (const timer of engineTimers) clearTimeout(timer);
      engineTimers.clear();
    }
    await Promise.allSettled([...open].map((connection) => connection.dispose()));
  }
}
