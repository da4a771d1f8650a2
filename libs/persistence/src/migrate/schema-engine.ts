import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { SchemaEngine } from '@prisma/schema-engine-wasm';
import * as glue from '@prisma/schema-engine-wasm/schema_engine_bg';
import { bindMigrationAwareSqlAdapterFactory, type SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';

export type { SchemaEngine };

/** The bits of the WebAssembly global used here; the project's `lib` (ES2023, no DOM) does not declare it. */
interface WebAssemblyApi {
  Module: { new (bytes: Uint8Array): object; imports(module: object): { module: string }[] };
  Instance: new (module: object, imports: Record<string, object>) => { exports: Record<string, unknown> };
}
const { WebAssembly } = globalThis as unknown as { WebAssembly: WebAssemblyApi };

let loaded = false;

/**
 * Instantiates Prisma's schema engine WebAssembly module once per process. The package's
 * own entry imports the `.wasm` as an ES module, which Node 20 cannot do, so the module is
 * compiled by hand and handed to the wasm-bindgen glue.
 */
function loadWasm(): void {
  if (loaded) return;
  const packageDir = dirname(require.resolve('@prisma/schema-engine-wasm/schema_engine_bg'));
  const module = new WebAssembly.Module(readFileSync(join(packageDir, 'schema_engine_bg.wasm')));
  const imports: Record<string, object> = {};
  for (const entry of WebAssembly.Module.imports(module)) imports[entry.module] ??= glue;
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

/**
 * A schema engine working through `adapter` (the database migrations run against, and its
 * shadow databases). Free it with `engine.free()`.
 */
export async function openSchemaEngine(
  adapter: SqlMigrationAwareDriverAdapterFactory,
  log: (message: string) => void = () => undefined,
): Promise<SchemaEngine> {
  loadWasm();
  const bound = bindMigrationAwareSqlAdapterFactory(adapter);
  return glue.SchemaEngine.new({ datamodels: undefined }, log, bound);
}

/** Runs `work` with a fresh engine and frees it afterwards, whatever happens. */
export async function withSchemaEngine<T>(
  adapter: SqlMigrationAwareDriverAdapterFactory,
  work: (engine: SchemaEngine) => Promise<T>,
): Promise<T> {
  const engine = await openSchemaEngine(adapter);
  try {
    return await work(engine);
  } finally {
    engine.free();
  }
}
