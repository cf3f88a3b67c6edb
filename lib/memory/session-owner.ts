/**
 * Who may read and delete a session: a session belongs to the first user that stored into it
 * (`userId` on its session item), and once that user is being forgotten nobody may (`forgetting`
 * on its session item, set when the forget job starts: forget-job.ts). Stores check both inside
 * their transaction (store-messages.ts).
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { MemoryInputError, SessionOwnershipError } from '../errors/input-errors';
import type { TableHandle } from './table-handle';
import { key } from './table-layout';

/** What a session item says about who may use it. */
export const sessionAccessAttributes = 'userId, forgetting';

/**
 * Refuses a session whose user is being forgotten, and a user who does not own the session item
 * read (none yet, or no owner: anyone may).
 */
export function checkOwner(sessionItem: Record<string, unknown> | undefined, sessionId: string, userId: string | undefined): void {
  const owner = sessionItem?.['userId'];
  if (userId !== undefined && owner !== undefined && owner !== userId) throw new SessionOwnershipError(sessionId);
  // Named by the session, not its owner: a msg without a userId learns no user's id from it.
  if (sessionItem?.['forgetting'] !== undefined) throw new MemoryInputError('input.session-being-forgotten', { sessionId });
}

/**
 * Reads the session item and refuses another user, or anyone once its user is being forgotten: a
 * msg without a userId reads a user's session too.
 */
export async function assertOwner(table: TableHandle, sessionId: string, userId: string | undefined): Promise<void> {
  const { Item } = await table.documents.send(
    new GetCommand({ TableName: table.tableName, Key: key.session(sessionId), ProjectionExpression: sessionAccessAttributes, ConsistentRead: true }),
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

/** Refuses a user whose data is being forgotten (their forget job exists). */
export async function assertNotForgotten(table: TableHandle, userId: string): Promise<void> {
  const { Item } = await table.documents.send(
    new GetCommand({ TableName: table.tableName, Key: key.forgetJob(userId), ProjectionExpression: 'pk', ConsistentRead: true }),
  );
  if (Item !== undefined) throw new MemoryInputError('input.user-being-forgotten', { userId });
}

/** Runs a read of a user's own data beside the check that the user is not being forgotten. */
export async function readAsUser<T>(table: TableHandle, userId: string, read: () => Promise<T>): Promise<T> {
  const [, result] = await Promise.all([assertNotForgotten(table, userId), read()]);
  return result;
}
