import { z } from 'zod';

/** Turns the payload of `type` at `fromVersion` into the payload at `fromVersion + 1`. */
export interface Upcaster<TFrom extends z.ZodType = z.ZodType, TTo = unknown> {
  readonly type: string;
  readonly fromVersion: number;
  readonly fromSchema: TFrom;
  readonly upcast: (payload: z.infer<TFrom>) => TTo;
}

export function defineUpcaster<TFrom extends z.ZodType, TTo>(u: Upcaster<TFrom, TTo>): Upcaster<TFrom, TTo> {
  return u;
}

/** Applies upcasters one version step at a time until `targetVersion`. */
export function upcastPayload(
  upcasters: readonly Upcaster[],
  type: string,
  version: number,
  targetVersion: number,
  payload: unknown,
): unknown {
  let current = payload;
  for (let v = version; v < targetVersion; v++) {
    const step = upcasters.find((u) => u.type === type && u.fromVersion === v);
    if (!step) throw new Error(`no upcaster for ${type} v${v} -> v${v + 1}`);
    current = step.upcast(step.fromSchema.parse(current));
  }
  return current;
}
