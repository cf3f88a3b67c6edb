/**
 * Who may read and write a memory scope, checked as the rest of the pack checks it: a user's
 * memory is refused while the user is being forgotten (as preferences are), a session's follows
 * its session item (owner, `forgetting`), a named namespace is nobody's. Writes carry the check in
 * their own transaction, so a forget that starts between a check and a write cannot be missed.
 */
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { MemoryInputError } from '../errors/input-errors';
import type { MemoryScopeKind } from '../schemas/memory-request';
import { partitionExpiresBy } from './session-expiry';
import { checkOwner, readAsOwner, readAsUser, sessionAccessAttributes } from './session-owner';
import type { TableHandle } from './table-handle';
import { attribute, key, type MemoryScope } from './table-layout';
import { transactionCancellation } from './transaction-cancellation';

/** What a request says about its scope (the node's setting and msg's ids). */
export interface ScopeRequest {
  scope: MemoryScopeKind;
  userId?: string;
  sessionId?: string;
  namespace?: string;
}

/** The scope a request names, or a MemoryInputError naming the id its kind needs. */
export function memoryScope(request: ScopeRequest): MemoryScope {
  const needed = { user: 'userId', session: 'sessionId', named: 'namespace' } as const;
  const field = needed[request.scope];
  const id = request[field];
  if (id === undefined) throw new MemoryInputError('input.required', { field });
  if (request.scope === 'user') return { userId: id };
  if (request.scope === 'session') return { sessionId: id };
  return { namespace: id };
}

/** Runs a read of the scope beside its access check; the result is handed out once the check passed. */
export function readScope<T>(table: TableHandle, request: ScopeRequest, read: () => Promise<T>): Promise<T> {
  if (request.scope === 'user') return readAsUser(table, request.userId!, read);
  if (request.scope === 'session') return readAsOwner(table, request.sessionId!, request.userId, read);
  return read();
}

/** What a write into the scope must carry: a condition in its transaction, and a cap on TTLs. */
export interface WriteGuard {
  /** A ConditionCheck for the transaction (none for a named namespace). */
  check?: Record<string, unknown>;
  /**
   * The latest a session's record may expire (epoch seconds): before its session item, through
   * which forget-user finds the partition (session-expiry.ts).
   */
  expiresBy?: number;
}

export async function writeGuard(table: TableHandle, request: ScopeRequest): Promise<WriteGuard> {
  if (request.scope === 'user') {
    return {
      check: {
        ConditionCheck: {
          TableName: table.tableName,
          Key: key.forgetJob(request.userId!),
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': attribute.partitionKey },
        },
      },
    };
  }
  if (request.scope === 'named') return {};
  const sessionId = request.sessionId!;
  const { Item } = await table.documents.send(
    new GetCommand({
      TableName: table.tableName,
      Key: key.session(sessionId),
      ProjectionExpression: `${sessionAccessAttributes}, ${attribute.expiresAt}`,
      ConsistentRead: true,
    }),
  );
  // forget-user finds a session's partition through its session item, which a store creates.
  if (Item === undefined) throw new MemoryInputError('input.memory-session-missing', { sessionId });
  checkOwner(Item, sessionId, request.userId);
  const sessionExpiry = Item[attribute.expiresAt];
  const expiresBy = partitionExpiresBy(sessionExpiry === undefined ? undefined : Number(sessionExpiry));
  return {
    check: {
      ConditionCheck: {
        TableName: table.tableName,
        Key: key.session(sessionId),
        ConditionExpression: 'attribute_exists(#pk) AND attribute_not_exists(#forgetting)',
        ExpressionAttributeNames: { '#pk': attribute.partitionKey, '#forgetting': 'forgetting' },
      },
    },
    ...(expiresBy === undefined ? {} : { expiresBy }),
  };
}

/** Why a write's transaction was cancelled at its guard: the error a caller reads. */
export function guardRefusal(request: ScopeRequest): MemoryInputError {
  if (request.scope === 'user') return new MemoryInputError('input.user-being-forgotten', { userId: request.userId! });
  return new MemoryInputError('input.session-being-forgotten', { sessionId: request.sessionId! });
}

/**
 * A write's transaction with the scope's guard first: true when applied, false when it was
 * cancelled by a condition (another writer was quicker) or a conflict, so the caller reads again
 * and retries (after `lastAttempt`, the error is thrown); the guard's refusal as guardRefusal.
 */
export async function guardedTransaction(
  table: TableHandle,
  request: ScopeRequest,
  guard: WriteGuard,
  items: Record<string, unknown>[],
  attempt: number,
  lastAttempt: number,
): Promise<boolean> {
  const all = [...(guard.check ? [guard.check] : []), ...items];
  try {
    await table.documents.send(new TransactWriteCommand({ TransactItems: all as never }));
    return true;
  } catch (error) {
    const cancelled = transactionCancellation(error);
    if (!cancelled || attempt >= lastAttempt) throw error;
    if (guard.check && cancelled.codes[0] === 'ConditionalCheckFailed') throw guardRefusal(request);
    if (!cancelled.transient && !cancelled.codes.includes('ConditionalCheckFailed')) throw error;
    return false;
  }
}
