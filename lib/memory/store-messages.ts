/**
 * Writes messages with their session item in DynamoDB transactions, so a message and the session's
 * count, tokens and last activity change together or not at all. Nothing a store writes is shared
 * with another session's stores: the table's counters hear of the change after the transaction
 * (table-counters.ts). Retries are safe: the SDK sends the same ClientRequestToken again (DynamoDB
 * applies a transaction once per token), a message's key is a fresh ULID only this write uses, and a
 * given messageId is guarded by its own item.
 */
import { GetCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { MemoryInputError, SessionOwnershipError } from '../errors/input-errors';
import { recordFromItem, type MessageRecord, type MessageWrite } from './message-record';
import { backoff, maxRetries } from './retry';
import type { CountChange } from './table-counters';
import { transactionCancellation } from './transaction-cancellation';
import { assertNotForgotten } from './session-owner';
import { expiryUpdate, modeFor, sessionExpiresAt, type ExpiryMode, type SessionExpiries } from './session-expiry';
import { attribute, key } from './table-layout';
import { updateExpression } from './update-expression';

/** DynamoDB's limits for one TransactWriteItems call. */
const maxActions = 100;
const maxTransactionBytes = 4 * 1024 * 1024;

export interface StoreContext {
  documents: DynamoDBDocumentClient;
  tableName: string;
  sessionId: string;
  userId: string | undefined;
  /** The messages' expiry (epoch seconds; none: they never expire). */
  expiresAt: number | undefined;
  /** The session items' expiries this process saw (session-expiry.ts). */
  expiries: SessionExpiries;
  /** Told what each applied transaction changed, for the table's statistics. */
  counted: (change: CountChange) => void;
}

/**
 * Whether this write starts a session and a user, for the table's counters, and whether it claims
 * an existing session that has no owner yet for its user (read before writing).
 */
interface Novelty {
  session: boolean;
  user: boolean;
  claim?: boolean;
}

/**
 * One strongly consistent read of the session item, and of the user marker only when the session
 * is new or has no owner yet. A writer that races us makes the transaction's condition fail, and
 * the write is read and tried again, so a session or user is counted once.
 */
async function novelty(context: StoreContext): Promise<Novelty> {
  const { documents, tableName, sessionId, userId } = context;
  const session = await documents.send(
    new GetCommand({ TableName: tableName, Key: key.session(sessionId), ProjectionExpression: 'userId', ConsistentRead: true }),
  );
  const sessionNew = session.Item === undefined;
  if (userId === undefined || (!sessionNew && session.Item!['userId'] !== undefined)) return { session: sessionNew, user: false };
  // A user being forgotten starts no session and claims none (forget-job.ts).
  const [marker] = await Promise.all([
    documents.send(new GetCommand({ TableName: tableName, Key: key.userMarker(userId), ProjectionExpression: 'pk', ConsistentRead: true })),
    assertNotForgotten({ documents, tableName, now: Date.now }, userId),
  ]);
  return { session: sessionNew, user: marker.Item === undefined, claim: !sessionNew };
}

/** Actions besides the messages: the session update and maybe the user marker. */
const fixedActions = 2;

/** Chunks whose actions (messages, guards and the fixed ones) fit one transaction. */
function transactionChunks(writes: MessageWrite[]): MessageWrite[][] {
  const chunks: MessageWrite[][] = [];
  let chunk: MessageWrite[] = [];
  let actions = fixedActions;
  let bytes = 0;
  for (const write of writes) {
    const writeActions = write.guard ? 2 : 1;
    if (chunk.length > 0 && (actions + writeActions > maxActions || bytes + write.bytes > maxTransactionBytes)) {
      chunks.push(chunk);
      chunk = [];
      actions = fixedActions;
      bytes = 0;
    }
    chunk.push(write);
    actions += writeActions;
    bytes += write.bytes;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

function sessionUpdate(context: StoreContext, writes: MessageWrite[], isNew: Novelty, expiry: ExpiryMode) {
  const lastActivityAt = writes[writes.length - 1]!.record.createdAt;
  const target = sessionExpiresAt(context.expiresAt);
  // A store into an existing session may only lengthen its life (session-expiry.ts); a new one starts it.
  const lifetime = target === undefined || isNew.session ? undefined : expiryUpdate(expiry, target);
  // What a session item keeps from its first store (and an owner from the store that claims it) is
  // written only then: the common store, into a session that is already this user's, updates no
  // more than it changes, a shorter expression for DynamoDB to evaluate on every store.
  const starts = isNew.session || isNew.claim === true;
  const expression = updateExpression({
    set: {
      ...(isNew.session ? { kind: 'session', sessionId: context.sessionId } : {}),
      lastActivityAt,
      gsi1sk: key.userSessionsSort(lastActivityAt),
      ...(isNew.session && target !== undefined ? { expiresAt: target } : {}),
      ...lifetime?.set,
    },
    setIfNotExists: {
      ...(isNew.session ? { createdAt: writes[0]!.record.createdAt } : {}),
      ...(starts && context.userId !== undefined
        ? { userId: context.userId, gsi1pk: key.userSessions(context.userId) }
        : {}),
    },
    add: { messageCount: writes.length, tokens: writes.reduce((sum, w) => sum + w.tokens, 0) },
    // A message that never expires makes its session never expire.
    ...(target === undefined && !isNew.session ? { remove: ['expiresAt'] } : {}),
  });
  if (isNew.session) {
    // Counted as a new session: only if it still is one when the transaction runs.
    return {
      ...expression,
      ConditionExpression: 'attribute_not_exists(#created)',
      ExpressionAttributeNames: { ...expression.ExpressionAttributeNames, '#created': 'createdAt' },
    };
  }
  // Optimistic: the session exists (and, with a user, is that user's already), and its expiry is as
  // guessed; or, once read, it exists without an owner and this write claims it. When that does not
  // hold, the old item comes back with the cancellation, and tells a new session, an unowned one,
  // another user's and the session's expiry apart.
  const conditions = ['attribute_exists(#created)', 'attribute_not_exists(#forgetting)'];
  const names: Record<string, string> = { ...expression.ExpressionAttributeNames, '#created': 'createdAt', '#forgetting': 'forgetting', ...lifetime?.names };
  const values: Record<string, unknown> = { ...expression.ExpressionAttributeValues, ...lifetime?.values };
  if (context.userId !== undefined) {
    names['#owner'] = 'userId';
    if (isNew.claim) conditions.push('attribute_not_exists(#owner)');
    else {
      conditions.push('#owner = :owner');
      values[':owner'] = context.userId;
    }
  }
  if (lifetime) conditions.push(lifetime.condition);
  return {
    ...expression,
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
    ConditionExpression: conditions.join(' AND '),
    ExpressionAttributeNames: names,
    ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
  };
}

/** Messages (and guards), the user marker when the user is new, the session item last. */
function transaction(context: StoreContext, writes: MessageWrite[], isNew: Novelty, expiry: ExpiryMode) {
  const { tableName } = context;
  const notThere = 'attribute_not_exists(pk)';
  const marker = { ...key.userMarker(context.userId ?? ''), kind: 'user', userId: context.userId, createdAt: writes[0]!.record.createdAt };
  return new TransactWriteCommand({
    TransactItems: [
      ...writes.flatMap((write) => [
        { Put: { TableName: tableName, Item: write.item, ConditionExpression: notThere } },
        ...(write.guard ? [{ Put: { TableName: tableName, Item: write.guard, ConditionExpression: notThere } }] : []),
      ]),
      ...(isNew.user ? [{ Put: { TableName: tableName, Item: marker, ConditionExpression: notThere } }] : []),
      { Update: { TableName: tableName, Key: key.session(context.sessionId), ...sessionUpdate(context, writes, isNew, expiry) } },
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

/** What an applied transaction adds to the table's statistics. */
function countChange(writes: MessageWrite[], isNew: Novelty): CountChange {
  return { messages: writes.length, sessions: isNew.session ? 1 : 0, users: isNew.user ? 1 : 0 };
}

/**
 * Writes one chunk. Returns the messageIds found to be stored already (their messages are then left
 * out and the rest written).
 */
async function writeChunk(context: StoreContext, chunk: MessageWrite[]): Promise<Set<string>> {
  const duplicates = new Set<string>();
  let pending = chunk;
  // Most stores go to a session that exists: try that first, and read only when it turns out new.
  let isNew: Novelty = { session: false, user: false };
  const target = sessionExpiresAt(context.expiresAt);
  let expiry: ExpiryMode = target === undefined ? 'raise' : context.expiries.modeFor(context.sessionId, target);
  for (let attempt = 0; pending.length > 0; attempt++) {
    try {
      await context.documents.send(transaction(context, pending, isNew, expiry));
      context.counted(countChange(pending, isNew));
      if (isNew.session || expiry === 'raise') context.expiries.remember(context.sessionId, target);
      return duplicates;
    } catch (error) {
      const cancellation = transactionCancellation(error);
      if (cancellation === undefined) throw error;
      const reasons = cancellation.codes;
      const markerFailed = isNew.user && reasons.at(-2) === 'ConditionalCheckFailed';
      const sessionFailed = reasons.at(-1) === 'ConditionalCheckFailed';
      const oldSession = cancellation.reasons.at(-1)?.oldItem;
      const owner = oldSession?.['userId']?.S;
      if (sessionFailed && !isNew.session && context.userId !== undefined && owner !== undefined && owner !== context.userId) {
        throw new SessionOwnershipError(context.sessionId);
      }
      if (sessionFailed && !isNew.session && oldSession?.['forgetting'] !== undefined) {
        throw new MemoryInputError('input.session-being-forgotten', { sessionId: context.sessionId });
      }
      if (sessionFailed && !isNew.session && oldSession?.['createdAt'] !== undefined && target !== undefined) {
        // The session exists and is this user's (or nobody's): the guess about its expiry may be what failed.
        const stored = oldSession[attribute.expiresAt]?.N;
        const storedExpiry = stored === undefined ? undefined : Number(stored);
        context.expiries.remember(context.sessionId, storedExpiry);
        const fitting = modeFor(storedExpiry, target);
        if (fitting !== expiry && attempt < maxRetries) {
          expiry = fitting;
          continue;
        }
      }
      if (sessionFailed || markerFailed) {
        // The session is new or unowned, or another writer started it or the user first: read, and
        // count nothing twice.
        if (attempt >= maxRetries) throw error;
        isNew = await novelty(context);
        continue;
      }
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
      if (alreadyApplied) {
        context.counted(countChange(pending, isNew));
        return duplicates;
      }
      const { transient } = cancellation;
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
