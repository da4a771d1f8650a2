import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startEmbeddedForTest, type TestEngine } from './test-engine';

jest.setTimeout(300_000);

const root = join(__dirname, '..', '..', '..', '..');
const ADMIN_KEY = 'sk_admin_e2e_schemathesis_0123456789';

/**
 * What schemathesis must find nothing of: server errors, and answers (status, content type,
 * headers, body) the document does not describe; also a schema-invalid request accepted
 * (the document looser than the API) and an operation answering without its key.
 * Not checked: `positive_data_acceptance` (refinements JSON Schema cannot state, e.g. input
 * or prompt, make some schema-valid bodies a 4xx) and `unsupported_method` (an undeclared
 * method is 404, not 405).
 */
const CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_headers_conformance',
  'response_schema_conformance',
  'negative_data_rejection',
  'ignored_auth',
].join(',');

/** Examples per operation and phase: bounded so the whole suite stays within ~2 minutes (~1 here). */
const MAX_EXAMPLES = '50';

interface Run {
  code: number | null;
  output: string;
}

/** Runs `st` without blocking this process's event loop: Sluice answers it from this same process. */
function schemathesis(st: string, args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(st, args, {
      cwd,
      env: { ...process.env, SCHEMATHESIS_HOOKS: join(__dirname, 'schemathesis', 'hooks.py'), NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('the OpenAPI document, held to the running API by schemathesis', () => {
  let engine: TestEngine;
  let st: string;
  let workDir: string;
  let apiKey: string;

  beforeAll(async () => {
    const installed = await promisify(execFile)(process.execPath, [join(root, 'tools', 'schemathesis.cjs')], { cwd: root, maxBuffer: 16 * 1024 * 1024 });
    st = installed.stdout.trim().split('\n').at(-1) ?? '';
    workDir = mkdtempSync(join(tmpdir(), 'sluice-schemathesis-'));
    engine = await startEmbeddedForTest({ name: 'schemathesis', adminKey: ADMIN_KEY });
    const created = await fetch(`${engine.sluice.url}/v0/admin/accounts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'schemathesis', credit_usd: 1_000_000 }),
    });
    expect(created.status).toBe(201);
    apiKey = ((await created.json()) as { api_key: string }).api_key;
  });

  afterAll(async () => {
    await engine?.stop();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  const run = (key: () => string, filter: string[]) => async () => {
    const url = engine.sluice.url;
    const { code, output } = await schemathesis(
      st,
      [
        'run',
        `${url}/openapi.json`,
        '--url',
        url,
        '--header',
        `Authorization: Bearer ${key()}`,
        '--checks',
        CHECKS,
        '--max-examples',
        MAX_EXAMPLES,
        '--phases',
        'examples,coverage,fuzzing,stateful',
        '--request-timeout',
        '40',
        '--generation-database',
        'none',
        '--no-color',
        ...filter,
      ],
      workDir,
    );
    // The whole report on failure: each finding with its curl line and the run's seed (`--seed` replays it).
    if (code !== 0) throw new Error(`schemathesis exited ${code}:\n${output}`);
    const summary = /Test cases:\s+(\d+ generated[^\n]*)[\s\S]*Seed: (\d+)/.exec(output);
    expect(summary).not.toBeNull();
    // What ran, in CI's log: a suite that generated nothing would pass without testing anything.
    console.log(`schemathesis ${filter.join(' ')}: ${summary?.[1]} (seed ${summary?.[2]})`);
  };

  it('finds nothing on the account routes (an account key)', run(() => apiKey, ['--exclude-path-regex', '^/v0/admin']));
  it('finds nothing on the operator routes (the admin key)', run(() => ADMIN_KEY, ['--include-path-regex', '^/v0/admin']));
});
