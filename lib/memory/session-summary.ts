/**
 * A session's summary: one item beside its messages (`sk = SUMMARY`), recording the newest message
 * it covers, so the context builder reads only what the summary does not cover.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { SummaryRequest } from '../schemas/summary-request';
import type { StoredSummary } from './context-builder';
import { MemoryInputError } from '../errors/input-errors';
import { assertOwner } from './session-owner';
import type { TableHandle } from './table-handle';
import { key } from './table-layout';

/** The session's summary, if one is stored. */
export async function summary(table: TableHandle, sessionId: string): Promise<StoredSummary | undefined> {
  const { Item } = await table.documents.send(new GetCommand({ TableName: table.tableName, Key: key.summary(sessionId), ConsistentRead: true }));
  if (!Item) return undefined;
  const { summary: text, covers, coversMessageId, coversCreatedAt, updatedAt } = Item as Record<string, string>;
  return { summary: text!, covers: covers!, updatedAt: updatedAt!, ...(coversMessageId ? { coversMessageId } : {}), ...(coversCreatedAt ? { coversCreatedAt } : {}) };
}

/**
 * Stores (replaces) the session's summary, which covers the session up to and including the
 * message `covers`. A summary covering less than the stored one is not written (summaries of
 * overlapping runs: the furthest wins). One GetItem of the covered message, one conditional PutItem.
 */
export async function storeSummary(table: TableHandle, request: SummaryRequest): Promise<{ stored: boolean; summary: StoredSummary }> {
  await assertOwner(table, request.sessionId, request.userId);
  const covered = await table.documents.send(
    new GetCommand({ TableName: table.tableName, Key: key.message(request.sessionId, request.covers), ConsistentRead: true }),
  );
  if (!covered.Item) throw new MemoryInputError('input.covers-missing', { sessionId: request.sessionId, covers: request.covers });
  const stored: StoredSummary = {
    summary: request.summary,
    covers: request.covers,
    coversMessageId: String(covered.Item['messageId']),
    coversCreatedAt: String(covered.Item['createdAt']),
    updatedAt: new Date(table.now()).toISOString(),
  };
  try {
    await table.documents.send(
      new PutCommand({
        TableName: table.tableName,
        Item: { ...key.summary(request.sessionId), kind: 'summary', sessionId: request.sessionId, ...stored },
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
