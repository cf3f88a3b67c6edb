/**
 * Session ownership on reads and deletes: a session belongs to the first user that stored into it
 * (`userId` on its session item). Stores check it inside their transaction (store-messages.ts).
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { SessionOwnershipError } from '../errors/input-errors';
import type { TableHandle } from './table-handle';
import { key } from './table-layout';

/** Refuses a user who does not own the session item read (none yet, or no owner: anyone may). */
export function checkOwner(sessionItem: Record<string, unknown> | undefined, sessionId: string, userId: string | undefined): void {
  const owner = sessionItem?.['userId'];
  if (userId !== undefined && owner !== undefined && owner !== userId) throw new SessionOwnershipError(sessionId);
}

/** Reads the session's owner and refuses another user; without a userId there is nothing to check. */
export async function assertOwner(table: TableHandle, sessionId: string, userId: string | undefined): Promise<void> {
  if (userId === undefined) return;
  const { Item } = await table.documents.send(
    new GetCommand({ TableName: table.tableName, Key: key.session(sessionId), ProjectionExpression: 'userId', ConsistentRead: true }),
  );
  checkOwner(Item, sessionId, userId);
}

/**
 * Runs a read together with the owner check instead of after it, so a check costs no round trip;
 * the read's result is handed out only once the check passed.
 */
export async function readAsOwner<T>(table: TableHandle, sessionId: string, userId: string | undefined, read: () => Promise<T>): Promise<T> {
  const [, result] = await Promise.all([assertOwner(table, sessionId, userId), read()]);
  return result;
}
