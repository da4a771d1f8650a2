export type OutputResult = { text: string } | { error: { code: string; message: string } };

/**
 * One line of a task's output file, newline included: exactly `{"key","output":{"type":"text","text"}}`
 * for a completed object or `{"key","error":{"code","message"}}` for a failed one (no other fields).
 */
export function outputLine(key: string, result: OutputResult): string {
  const line =
    'error' in result
      ? { key, error: { code: result.error.code, message: result.error.message } }
      : { key, output: { type: 'text', text: result.text } };
  return `${JSON.stringify(line)}\n`;
}
