import { ensureHelm } from './helm-binary';

// Pre-builds helm (used by .ci/install-prereqs.sh), so the chart tests do not wait for the build.
const started = Date.now();
try {
  const { version, path, built } = ensureHelm();
  console.log(`helm ${version} ${built ? `built in ${((Date.now() - started) / 1000).toFixed(0)} s` : 'already cached'}: ${path}`);
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
