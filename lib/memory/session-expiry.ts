/**
 * When a session item expires. Forget-user finds a user's data through the session items (the user
 * index), so a session item must outlive everything in its partition, whichever TTL each store used:
 * it expires `graceDays` after the longest-lived message stored into the session, and never if one
 * message has no TTL. A store never shortens it.
 *
 * DynamoDB has no max() in an UpdateExpression, so a store says what it expects of the stored value
 * in the transaction's condition, which costs nothing extra:
 *   - `raise`: the stored expiry is at most this store's (the common case, as time moves on with one
 *     TTL): set it;
 *   - `keep`: the stored expiry is none or later than this store's: leave it.
 * A wrong guess cancels the transaction with the old item (ALL_OLD), which says the right mode; the
 * process remembers the last expiry it saw per session, so a session whose stores mix TTLs pays
 * that retry once per process, not on every store. The guess is only a guess: the condition is
 * what holds, so a stale memory (the session cleared and started again elsewhere) costs a retry.
 */
import { attribute } from './table-layout';
import { isLive } from './ttl-filter';

/**
 * How long a session item outlives its longest-lived message. DynamoDB deletes expired items some
 * time after their `expiresAt`, in no particular order ("typically within a few days"): a margin
 * keeps the session item, through which forget-user finds the partition, until after its messages
 * are gone, not merely expired.
 */
export const graceDays = 7;

export type ExpiryMode = 'raise' | 'keep';

/**
 * Whether a session item, or a summary (which takes its session item's expiry), is live for reads:
 * the grace only keeps it for forget-user, so reads see it expire with its longest-lived message.
 */
export function isSessionLive(item: Record<string, unknown>, nowMs: number): boolean {
  const expiresAt = item[attribute.expiresAt];
  return expiresAt === undefined || isLive({ [attribute.expiresAt]: Number(expiresAt) - graceDays * 86400 }, nowMs);
}

/** The session item's expiry for a message expiring at `messageExpiresAt` (epoch seconds; none: never). */
export function sessionExpiresAt(messageExpiresAt: number | undefined): number | undefined {
  return messageExpiresAt === undefined ? undefined : messageExpiresAt + graceDays * 86400;
}

/**
 * The latest a record in a session's partition (its memory, working memory, watermark) may expire,
 * for a session item expiring at `sessionItemExpiresAt`: by its messages' time, before the session item
 * through which forget-user finds the partition.
 */
export function partitionExpiresBy(sessionItemExpiresAt: number | undefined): number | undefined {
  return sessionItemExpiresAt === undefined ? undefined : sessionItemExpiresAt - graceDays * 86400;
}

/** The mode that fits a stored expiry (undefined: the item has none, so it never expires). */
export function modeFor(stored: number | undefined, target: number): ExpiryMode {
  return stored === undefined || stored > target ? 'keep' : 'raise';
}

/** The update's part and its condition, for a store into an existing session with a finite target. */
export function expiryUpdate(mode: ExpiryMode, target: number) {
  const names = { '#expires': attribute.expiresAt };
  const values = { ':expires': target };
  return mode === 'raise'
    ? { set: { [attribute.expiresAt]: target }, condition: '#expires <= :expires', names, values }
    : { set: {}, condition: '(attribute_not_exists(#expires) OR #expires > :expires)', names, values };
}

/** Remembered sessions per process: enough for the sessions a process is busy with. */
const maxRemembered = 10_000;

/** The last expiry this process saw per session (undefined: none, the item never expires). */
export class SessionExpiries {
  private readonly seen = new Map<string, number | undefined>();

  modeFor(sessionId: string, target: number): ExpiryMode {
    return this.seen.has(sessionId) ? modeFor(this.seen.get(sessionId), target) : 'raise';
  }

  remember(sessionId: string, expiresAt: number | undefined): void {
    this.seen.delete(sessionId);
    this.seen.set(sessionId, expiresAt);
    // A Map iterates in insertion order: the first key is the one least recently remembered.
    if (this.seen.size > maxRemembered) this.seen.delete(this.seen.keys().next().value!);
  }
}
