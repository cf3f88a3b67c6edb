/**
 * Sort-key ids for messages. A ULID starts with its creation time (ten base-32 characters of
 * milliseconds), so keys sort by time; the factory is monotonic, so ids made in the same
 * millisecond by this process still sort in the order they were made.
 */
import { encodeTime, monotonicFactory } from 'ulid';

export const nextMessageUlid = monotonicFactory();

/** The lowest and highest ULID of a millisecond: bounds for a time-range key condition. */
export function ulidBounds(epochMs: number): { lowest: string; highest: string } {
  // The millisecond an instant falls in: epoch milliseconds may have a fraction, a ULID has none.
  const time = encodeTime(Math.max(0, Math.min(Math.floor(epochMs), 2 ** 48 - 1)), 10);
  return { lowest: time + '0'.repeat(16), highest: time + 'Z'.repeat(16) };
}
