/**
 * The raw-SDK side of each case: the DynamoDB calls written by hand, no pack code in the path
 * (only the key builders, so the keys are the same).
 */
import { BatchWriteCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { nextMessageUlid } from '../lib/memory/message-ids';
import { key } from '../lib/memory/table-layout';
import { messageItem, type Raw } from './engine';

/** One message item, one PutItem. */
export async function rawPut(raw: Raw, tableName: string, sessionId: string, content: string): Promise<void> {
  const ms = Date.now();
  const item = messageItem(sessionId, nextMessageUlid(ms), new Date(ms).toISOString(), content);
  await raw.documents.send(new PutCommand({ TableName: tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
}

/** The message's Put and the session's Update, as the store node sends them into a session that exists. */
function storeWrites(tableName: string, sessionId: string, content: string) {
  const ms = Date.now();
  const createdAt = new Date(ms).toISOString();
  const item = messageItem(sessionId, nextMessageUlid(ms), createdAt, content);
  return {
    Put: { TableName: tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' },
    Update: {
      TableName: tableName,
      Key: key.session(sessionId),
      UpdateExpression: 'SET #a0 = :v1, #a2 = :v3 ADD #a4 :v5, #a6 :v7 REMOVE #a8',
      ConditionExpression: 'attribute_exists(#created)',
      ExpressionAttributeNames: { '#a0': 'lastActivityAt', '#a2': 'gsi1sk', '#a4': 'messageCount', '#a6': 'tokens', '#a8': 'expiresAt', '#created': 'createdAt' },
      ExpressionAttributeValues: { ':v1': createdAt, ':v3': key.userSessionsSort(createdAt), ':v5': 1, ':v7': 1 },
    },
  };
}

/**
 * What the store node sends for one message without messageId or userId to a session that exists:
 * one TransactWriteItems with the conditional message Put and the session Update (count, tokens,
 * last activity), conditioned on the session existing. It asks for the consumed capacity as the
 * node does (for msg.consumedCapacity): that costs DynamoDB Local some time on a transaction, the
 * engine's and not the node's own overhead, which case 1b is about.
 */
export async function rawTransaction(raw: Raw, tableName: string, sessionId: string, content: string): Promise<void> {
  const { Put, Update } = storeWrites(tableName, sessionId, content);
  await raw.documents.send(new TransactWriteCommand({ TransactItems: [{ Put }, { Update }], ReturnConsumedCapacity: 'INDEXES' }));
}

/**
 * The same two writes without a transaction, sent at once: what a cheaper store mode would send.
 * It would give up the message and its count changing together (a crash between them, or a lost
 * answer retried, leaves the count off), so the pack does not offer it unless it is faster.
 */
export async function rawParallelWrites(raw: Raw, tableName: string, sessionId: string, content: string): Promise<void> {
  const { Put, Update } = storeWrites(tableName, sessionId, content);
  const ReturnConsumedCapacity = 'INDEXES' as const;
  await Promise.all([raw.documents.send(new PutCommand({ ...Put, ReturnConsumedCapacity })), raw.documents.send(new UpdateCommand({ ...Update, ReturnConsumedCapacity }))]);
}

/** The newest `limit` messages, as the history node reads them (one descending Query). */
export async function rawHistory(raw: Raw, tableName: string, sessionId: string, limit = 20): Promise<unknown[]> {
  const page = await raw.documents.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :msg)',
      ExpressionAttributeValues: { ':pk': key.sessionPartition(sessionId), ':msg': 'MSG#' },
      ScanIndexForward: false,
      Limit: limit,
    }),
  );
  return (page.Items ?? []).reverse();
}

/** Parallel BatchWrite calls the raw clear keeps in flight. */
export const rawClearParallelism = 4;

/**
 * Deletes every item of a session: Query the keys page by page (consistent, keys only) and delete
 * each page with 25-item BatchWrite calls, `rawClearParallelism` in flight; the next page is queried
 * while the deletes of this one run. Returns the items deleted. With `consumedCapacity`, every call
 * asks for it, as the node's do (for msg.consumedCapacity).
 */
export async function rawClear(raw: Raw, tableName: string, sessionId: string, options: { consumedCapacity?: boolean } = {}): Promise<number> {
  const capacity = options.consumedCapacity ? { ReturnConsumedCapacity: 'INDEXES' as const } : {};
  let deleted = 0;
  let startKey: Record<string, unknown> | undefined;
  let deleting: Promise<void> = Promise.resolve();
  do {
    const page = await raw.documents.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk',
        ProjectionExpression: 'pk, sk',
        ExpressionAttributeValues: { ':pk': key.sessionPartition(sessionId) },
        ConsistentRead: true,
        ...capacity,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    const keys = page.Items ?? [];
    deleted += keys.length;
    await deleting;
    deleting = deleteKeys(raw, tableName, keys, capacity);
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  await deleting;
  return deleted;
}

async function deleteKeys(raw: Raw, tableName: string, keys: Record<string, unknown>[], capacity: { ReturnConsumedCapacity?: 'INDEXES' }): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < keys.length) {
      const batch = keys.slice(next, (next += 25));
      let pending: unknown[] = batch.map((Key) => ({ DeleteRequest: { Key } }));
      while (pending.length > 0) {
        const result = await raw.documents.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending as never }, ...capacity }));
        pending = result.UnprocessedItems?.[tableName] ?? [];
      }
    }
  };
  await Promise.all(Array.from({ length: rawClearParallelism }, worker));
}
