/**
 * The one read filter for time-to-live. DynamoDB deletes an expired item only some time after its
 * `expiresAt` (typically within days; DynamoDB Local never), so every read that must not show
 * expired items drops them itself. It does so here, on the items read, rather than with a
 * FilterExpression: a filter is applied after the read in DynamoDB too (expired items are read,
 * counted against Limit and billed either way), so the results and the bill are the same, and
 * DynamoDB Local answers a Query with a filter markedly slower than one without.
 */
import { attribute } from './table-layout';

/** Whether an item read at `nowMs` has not expired (no `expiresAt`: it never does). */
export function isLive(item: Record<string, unknown>, nowMs: number): boolean {
  const expiresAt = item[attribute.expiresAt];
  return expiresAt === undefined || Number(expiresAt) > Math.floor(nowMs / 1000);
}
