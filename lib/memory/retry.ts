/** Backoff for the retries the SDK does not do itself (UnprocessedItems, transaction conflicts). */

export const maxRetries = 10;

/** Full-jitter exponential backoff: 0..min(cap, base * 2^attempt) ms. */
export function backoff(attempt: number): Promise<void> {
  const ceiling = Math.min(2000, 25 * 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
}

/** Transaction cancellation reasons that say "not now" rather than "no": worth another attempt. */
export const transientReasons = new Set(['TransactionConflict', 'ThrottlingError', 'ProvisionedThroughputExceeded']);
