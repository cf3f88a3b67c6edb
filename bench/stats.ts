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
 * machine hits all sides alike. With `shuffled`, each round's order is drawn anew instead (a seeded
 * shuffle): with many sides, a rotation keeps each side behind the same one in almost every round,
 * and a side that leaves much garbage (a 400 KB item parsed) would hand its collections to its
 * successor alone.
 */
export async function interleaved(rounds: number, sides: Array<(round: number) => Promise<void>>, options: { shuffled?: boolean } = {}): Promise<void> {
  let seed = 0x9e3779b9;
  const random = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  for (let round = 0; round < rounds; round++) {
    const order = sides.map((_, k) => (round + k) % sides.length);
    if (options.shuffled) {
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
    }
    for (const k of order) await sides[k]!(round);
  }
}
