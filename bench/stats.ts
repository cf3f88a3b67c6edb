/** Small statistics and timing helpers. */
export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Milliseconds one call of fn takes. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = nowMs();
  await fn();
  return nowMs() - start;
}

/** Runs `total` calls of fn with `concurrency` loops; returns calls per second. */
export async function throughput(concurrency: number, total: number, fn: (loop: number, i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const start = nowMs();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, loop) => {
      while (next < total) await fn(loop, next++);
    }),
  );
  return total / ((nowMs() - start) / 1000);
}

/**
 * ABAB rounds: each round runs every side once, in an order that rotates, so drift on a shared
 * machine hits all sides alike.
 */
export async function interleaved(rounds: number, sides: Array<(round: number) => Promise<void>>): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < sides.length; k++) await sides[(round + k) % sides.length]!(round);
  }
}
