/**
 * Sort-key ids for messages. A ULID starts with its creation time (ten base-32 characters of
 * milliseconds), so keys sort by time; the factory is monotonic, so ids made in the same
 * millisecond by this process still sort in the order they were made.
 */
import { randomFillSync } from 'node:crypto';
import { encodeTime, monotonicFactory } from 'ulid';

/**
 * The same cryptographic randomness ulid's default uses, drawn from a pool: the default calls
 * crypto.getRandomValues once per character, 16 calls for every new millisecond, which made a
 * ULID the costliest step of a store outside the SDK.
 */
const randomPool = Buffer.alloc(4096);
let poolOffset = randomPool.length;
function pooledRandom(): number {
  if (poolOffset === randomPool.length) {
    randomFillSync(randomPool);
    poolOffset = 0;
  }
  return randomPool[poolOffset++]! / 256;
}

export const nextMessageUlid = monotonicFactory(pooledRandom);

/**
 * The same for every other item with a ULID key (audit entries, memory records, working-memory
 * entries). A monotonic factory never goes back in time: one fed a clock ahead of the real one (a
 * test's, a skewed caller's) would carry on from there, and message keys, which history reads by
 * time range, must not be moved by the ids of other items.
 */
export const nextItemUlid = monotonicFactory(pooledRandom);

/** The lowest and highest ULID of a millisecond: bounds for a time-range key condition. */
export function ulidBounds(epochMs: number): { lowest: string; highest: string } {
  // The millisecond an instant falls in: epoch milliseconds may have a fraction, a ULID has none.
  const time = encodeTime(Math.max(0, Math.min(Math.floor(epochMs), 2 ** 48 - 1)), 10);
  return { lowest: time + '0'.repeat(16), highest: time + 'Z'.repeat(16) };
}
