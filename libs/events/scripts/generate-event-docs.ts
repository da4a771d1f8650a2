import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ASYNCAPI_PATH, EVENT_FLOW_PATH, asyncApiYaml, eventFlowMarkdown } from './event-docs';
import { scanCode } from './event-flow-scan';

export const REPOSITORY_ROOT = resolve(__dirname, '..', '..', '..');

/** The generated documents by path, as `npm run docs:events` writes them; throws on what the scan cannot read. */
export function generatedDocs(root = REPOSITORY_ROOT): Record<string, string> {
  const code = scanCode(root);
  if (code.problems.length > 0) throw new Error(`the event flow cannot be read from the code:\n- ${code.problems.join('\n- ')}`);
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  return { [EVENT_FLOW_PATH]: eventFlowMarkdown(code.consumers), [ASYNCAPI_PATH]: asyncApiYaml(code.consumers, version) };
}

if (require.main === module) {
  for (const [path, text] of Object.entries(generatedDocs())) {
    writeFileSync(join(REPOSITORY_ROOT, path), text);
    console.log(`wrote ${path}`);
  }
}
