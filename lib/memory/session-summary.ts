/**
 * A session's summary: one item beside its messages (`sk = SUMMARY`), recording the newest message
 * it covers, so the context builder reads only what the summary does not cover.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { SummaryRequest } from '../schemas/summary-request';
import type { StoredSummary } from './context-builder';
import { MemoryInputError } from '../errors/input-errors';
import { checkOwner, sessionAccessAttributes } from './session-owner';
import type { TableHandle } from './table-handle';
import { attribute, key } from './table-layout';
import { isSessionLive } from './session-expiry';

/** The session's summary, if one is stored. */
export async function summary(table: TableHandle, sessionId: string): Promise<StoredSummary | undefined> {
  const { Item } = await table.documents.send(new GetCommand({ TableName: table.tableName, Key: key.summary(sessionId), ConsistentRead: true }));
  if (!Item || !isSessionLive(Item, table.now())) return undefined;
  const { summary: text, covers, coversMessageId, coversCreatedAt, updatedAt } = Item as Record<string, string>;
  return { summary: text!, covers: covers!, updatedAt: updatedAt!, ...(coversMessageId ? { coversMessageId } : {}), ...(coversCreatedAt ? { coversCreatedAt } : {}) };
}

/**
 * Stores (replaces) the session's summary, which covers the session up to and including the
 * message `covers`. A summary covering less than the stored one is not written (summaries of
 * overlapping runs: the furthest wins). GetItems of the session item and the covered message (at
 * once), one conditional PutItem.
 */
export async function storeSummary(table: TableHandle, request: SummaryRequest): Promise<{ stored: boolean; summary: StoredSummary }> {
  const [session, covered] = await Promise.all([
    table.documents.send(
      new GetCommand({ TableName: table.tableName, Key: key.session(request.sessionId), ProjectionExpression: `${sessionAccessAttributes}, expiresAt`, ConsistentRead: true }),
    ),
    table.documents.send(new GetCommand({ TableName: table.tableName, Key: key.message(request.sessionId, request.covers), ConsistentRead: true })),
  ]);
  checkOwner(session.Item, request.sessionId, request.userId);
  if (!covered.Item) throw new MemoryInputError('input.covers-missing', { sessionId: request.sessionId, covers: request.covers });
  const stored: StoredSummary = {
    summary: request.summary,
    covers: request.covers,
    coversMessageId: String(covered.Item['messageId']),
    coversCreatedAt: String(covered.Item['createdAt']),
    updatedAt: new Date(table.now()).toISOString(),
  };
  // The summary lives as long as its session item does now: longer than every message it covers
  // (all stored before it), never longer than the item through which forget-user finds it.
  const expiresAt = session.Item?.[attribute.expiresAt];
  try {
    await table.documents.send(
      new PutCommand({
        TableName: table.tableName,
        Item: { ...key.summary(request.sessionId), kind: 'summary', sessionId: request.sessionId, ...stored, ...(expiresAt !== undefined ? { expiresAt } : {}) },
        ConditionExpression: 'attribute_not_exists(#covers) OR #covers <= :covers',
        ExpressionAttributeNames: { '#covers': 'covers' },
        ExpressionAttributeValues: { ':covers': request.covers },
      }),
    );
    return { stored: true, summary: stored };
  } catch (error) {
    if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    return { stored: false, summary: (await summary(table, request.sessionId))! };
  }
}
