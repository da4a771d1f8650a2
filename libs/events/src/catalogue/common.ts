import { z } from 'zod';

/** Integer micro-dollars: every amount inside Sluice; decimals exist only at the API edge. */
export const Micros = z.number().int().nonnegative();
export const Id = z.string().min(1);
export const ServiceName = z.enum(['api', 'scheduler', 'router', 'billing', 'files']);
export type ServiceName = z.infer<typeof ServiceName>;
/** Text travels inline up to a threshold, above it by reference to the blob store (claim check). */
export const TextOrRef = z.union([
  z.object({ text: z.string() }),
  z.object({ blobKey: z.string().min(1), bytes: z.number().int().nonnegative() }),
]);
export const ExecutionMode = z.enum(['live', 'provider_batch']);
