import type { z } from 'zod';
import { ValidationError, type FieldError } from './api-error';

/** `['items', 2, 'model']` → `items[2].model`. */
export function fieldName(path: readonly PropertyKey[]): string {
  return path.reduce<string>((name, part) => {
    if (typeof part === 'number') return `${name}[${part}]`;
    return name ? `${name}.${String(part)}` : String(part);
  }, '');
}

export function toFieldErrors(issues: readonly z.core.$ZodIssue[], root = 'body'): FieldError[] {
  return issues.map((issue) => ({ field: fieldName(issue.path).replace(/^(?=\[)|^$/, root) || root, message: issue.message }));
}

/** Parses a request body with `schema`, or throws a 422 naming every bad field. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown, root = 'body'): z.infer<S> {
  const result = schema.safeParse(body);
  if (!result.success) throw new ValidationError(toFieldErrors(result.error.issues, root));
  return result.data;
}
