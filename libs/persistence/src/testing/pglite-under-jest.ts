/**
 * PGlite loads Node built-ins with dynamic `import()`, which jest only supports with
 * `--experimental-vm-modules`; without it the whole jest process dies with an unhandled
 * ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING_FLAG. Fail the suite with the fix instead.
 */
export function requireVmModulesForPglite(): void {
  const flags = `${process.env.NODE_OPTIONS ?? ''} ${process.execArgv.join(' ')}`;
  if (!flags.includes('--experimental-vm-modules')) {
    throw new Error('PGlite suites need NODE_OPTIONS=--experimental-vm-modules (`npm test` sets it; with npx jest, set it yourself)');
  }
}
