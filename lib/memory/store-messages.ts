/**
 * Writes messages with their session item in DynamoDB transactions, so a message and the session's
 * count and last activity change together or not at all. Retries are safe: the SDK sends the same
 * ClientRequestToken again (DynamoDB applies a transaction once per token), a message's key is a
 * fresh ULID only this write uses, and a given messageId is guarded by its own item.
 */
import { GetCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SessionOwnershipError } from './errors';
import { recordFromItem, type MessageRecord, type MessageWrite } from './message-record';
import { backoff, maxRetries, transientReasons } from './retry';
import { key } from './table-layout';
import { updateExpression } from './update-expression';

/** DynamoDB's limits for one TransactWriteItems call. */
const maxActions = 100;
const maxTransactionBytes = 4 * 1024 * 1024;

export interface StoreContext {
  documents: DynamoDBDocumentClient;
  tableName: string;
  sessionId: string;
  userId: string | undefined;
  expiresAt: number | undefined;
}

type Reasons = Array<{ Code?: string }>;


/** Chunks whose actions (messages, guards and the one session update) fit one transaction. */
function transactionChunks(writes: MessageWrite[]): MessageWrite[][] {
  const chunks: MessageWrite[][] = [];
  let chunk: MessageWrite[] = [];
  let actions = 1;
  let bytes = 0;
  for (const write of writes) {
    const writeActions = write.guard ? 2 : 1;
    if (chunk.length > 0 && (actions + writeActions > maxActions || bytes + write.bytes > maxTransactionBytes)) {
      chunks.push(chunk);
      chunk = [];
      actions = 1;
      bytes = 0;
    }
    chunk.push(write);
    actions += writeActions;
    bytes += write.bytes;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

function sessionUpdate(context: StoreContext, writes: MessageWrite[]) {
  const lastActivityAt = writes[writes.length - 1]!.record.createdAt;
  const expression = updateExpression({
    set: {
      kind: 'session',
      sessionId: context.sessionId,
      lastActivityAt,
      gsi1sk: key.userSessionsSort(lastActivityAt),
      ...(context.expiresAt !== undefined ? { expiresAt: context.expiresAt } : {}),
    },
    setIfNotExists: {
      createdAt: writes[0]!.record.createdAt,
      ...(context.userId !== undefined
        ? { userId: context.userId, gsi1pk: key.userSessions(context.userId) }
        : {}),
    },
    add: { messageCount: writes.length },
    ...(context.expiresAt === undefined ? { remove: ['expiresAt'] } : {}),
  });
  if (context.userId === undefined) return expression;
  // A session is owned by the first user that wrote to it; anyone else is refused atomically.
  const ownerName = '#owner';
  const ownerValue = ':owner';
  return {
    ...expression,
    ConditionExpression: `attribute_not_exists(${ownerName}) OR ${ownerName} = ${ownerValue}`,
    ExpressionAttributeNames: { ...expression.ExpressionAttributeNames, [ownerName]: 'userId' },
    ExpressionAttributeValues: { ...expression.ExpressionAttributeValues, [ownerValue]: context.userId },
  };
}

function transaction(context: StoreContext, writes: MessageWrite[]) {
  const { tableName } = context;
  const notThere = 'attribute_not_exists(pk)';
  return new TransactWriteCommand({
    TransactItems: [
      ...writes.flatMap((write) => [
        { Put: { TableName: tableName, Item: write.item, ConditionExpression: notThere } },
        ...(write.guard ? [{ Put: { TableName: tableName, Item: write.guard, ConditionExpression: notThere } }] : []),
      ]),
      { Update: { TableName: tableName, Key: key.session(context.sessionId), ...sessionUpdate(context, writes) } },
    ],
  });
}

async function storedRecord(context: StoreContext, messageId: string): Promise<MessageRecord> {
  const { documents, tableName, sessionId } = context;
  const guard = await documents.send(
    new GetCommand({ TableName: tableName, Key: key.messageId(sessionId, messageId), ConsistentRead: true }),
  );
  const messageKey = { pk: key.sessionPartition(sessionId), sk: guard.Item!['messageSk'] as string };
  const message = await documents.send(new GetCommand({ TableName: tableName, Key: messageKey, ConsistentRead: true }));
  return { ...recordFromItem(message.Item ?? guard.Item!), duplicate: true };
}

/**
 * Writes one chunk. Returns the messageIds found to be stored already (their messages are then left
 * out and the rest written).
 */
async function writeChunk(context: StoreContext, chunk: MessageWrite[]): Promise<Set<string>> {
  const duplicates = new Set<string>();
  let pending = chunk;
  for (let attempt = 0; pending.length > 0; attempt++) {
    try {
      await context.documents.send(transaction(context, pending));
      return duplicates;
    } catch (error) {
      if ((error as Error).name !== 'TransactionCanceledException') throw error;
      const reasons = ((error as { CancellationReasons?: Reasons }).CancellationReasons ?? []).map((r) => r.Code);
      if (reasons[reasons.length - 1] === 'ConditionalCheckFailed') throw new SessionOwnershipError(context.sessionId);
      let action = 0;
      let alreadyApplied = false;
      const kept: MessageWrite[] = [];
      for (const write of pending) {
        if (reasons[action++] === 'ConditionalCheckFailed') alreadyApplied = true;
        const guardFailed = write.guard !== undefined && reasons[action++] === 'ConditionalCheckFailed';
        if (guardFailed) duplicates.add(write.record.messageId);
        else kept.push(write);
      }
      // A message key is a ULID only this write uses: if it exists, an earlier attempt of this very
      // transaction was applied (all of it), and its response was lost.
      if (alreadyApplied) return duplicates;
      const transient = reasons.some((code) => code !== undefined && transientReasons.has(code));
      if (!transient && kept.length === pending.length) throw error;
      if (attempt >= maxRetries) throw error;
      if (transient) await backoff(attempt);
      pending = kept;
    }
  }
  return duplicates;
}

/**
 * Stores the writes in order, chunk by chunk (each chunk all or nothing), and returns the records:
 * for a messageId stored before, the record stored then, marked `duplicate`.
 */
export async function storeMessages(context: StoreContext, writes: MessageWrite[]): Promise<MessageRecord[]> {
  // The same messageId twice in one request: the first is stored, the others are its duplicates.
  const seen = new Set<string>();
  const unique = writes.filter((w) => !w.guard || (!seen.has(w.record.messageId) && seen.add(w.record.messageId)));
  const duplicates = new Set<string>();
  for (const chunk of transactionChunks(unique)) {
    for (const id of await writeChunk(context, chunk)) duplicates.add(id);
  }
  const results: MessageRecord[] = [];
  const byId = new Map<string, MessageRecord>();
  for (const write of writes) {
    const id = write.record.messageId;
    if (!write.guard) results.push(write.record);
    else if (byId.has(id)) results.push({ ...byId.get(id)!, duplicate: true });
    else {
      const record = duplicates.has(id) ? await storedRecord(context, id) : write.record;
      byId.set(id, record);
      results.push(record);
    }
  }
  return results;
}
