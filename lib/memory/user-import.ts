/**
 * Import of a user export's part (../schemas/transfer-request.ts, docs/export-format.md) into this
 * table, so a user's data can move between tables or accounts.
 *
 * - Nothing is written from a part that is not entirely valid: the schema, every key's byte limit,
 *   every item's size and the owner of every session in it are checked first.
 * - Importing a part again writes nothing new: each record keeps what identifies it (a message's
 *   ULID and messageId, a preference change's ULID), and every write is conditioned on the item not
 *   being there yet (or being older: preferences and entities by version, a summary or an
 *   extraction watermark by what it covers).
 * - What the table derives is derived again, never taken from the file: a session's message count
 *   and tokens grow by the messages this import wrote, in the same transaction as they are written
 *   (a working-memory counter likewise by its entries, session-scope-import.ts), and the table's
 *   statistics hear of new sessions, messages and users only.
 * - A session is the importing user's: one that exists in this table with another owner refuses the
 *   whole part (SessionOwnershipError); one without an owner is claimed, as a store would.
 * - A session item lives at least as long as its longest-lived message, and an import never makes
 *   an item expire sooner than it would have.
 */
import { GetCommand, TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { ExportedSession, ExportPart, ImportRequest } from '../schemas/transfer-request';
import { conditionalPut, importMemories, inFlight, memoryWrites, notThere, olderVersion, refuseTooLarge, transactTogether, type Tally } from './import-writes';
import { inParallel } from './in-parallel';
import type { VectorIndexWatch } from './vector-index-state';
import { itemBytes } from './item-size';
import { addCounts, type CountsByKind } from './partition-delete';
import { backoff, maxRetries } from './retry';
import { sessionExpiresAt } from './session-expiry';
import { importSessionScope, sessionScopeWrites } from './session-scope-import';
import { assertNotForgotten, checkOwner } from './session-owner';
import type { CountChange } from './table-counters';
import type { TableHandle } from './table-handle';
import { attribute, key, type GraphScope } from './table-layout';
import { contentText, countTokens } from './tokens';
import { transactionCancellation } from './transaction-cancellation';
import { updateExpression } from './update-expression';

export interface ImportResult {
  /** The user the part was imported as. */
  userId: string;
  /** The part's `part` and `last`, so a flow can tell when the whole export is in. */
  part: number;
  last: boolean;
  /**
   * Items written, by kind (message, message-id, session, summary, user, preference, …): new items,
   * and items the part had newer (a preference or entity of a later version, a summary covering
   * more). A session counts when this import created it.
   */
  written: CountsByKind;
  /** Records of the part that were in the table already (or newer there) and were left as they were. */
  unchanged: number;
}

type Item = Record<string, unknown>;
type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** DynamoDB's limits for one TransactWriteItems call; one action of each is the session's update. */
const maxActions = 100;
const maxTransactionBytes = 4 * 1024 * 1024;
interface MessageWrite {
  item: Item;
  guard?: Item;
  tokens: number;
  bytes: number;
}

/** A session as this import finds it in the table (read consistently), and as it leaves it. */
interface SessionState {
  exists: boolean;
  owner?: string;
  createdAt?: string;
  lastActivityAt?: string;
  /** Undefined: the item never expires (or does not exist). */
  expiresAt?: number;
}

/** What the part's session piece makes of the session item: its times and expiry after the import. */
interface SessionTarget {
  createdAt: string;
  lastActivityAt: string;
  /** Undefined: never expires. */
  expiresAt: number | undefined;
}

/** The later of two expiries, where undefined (never) is the latest. */
function laterExpiry(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? undefined : Math.max(a, b);
}

/** A session piece's items, built (and so measured against the key and item limits) before anything is written. */
function sessionWrites(userId: string, session: ExportedSession): MessageWrite[] {
  const { sessionId } = session;
  return session.messages.map((message) => {
    const { ulid, ...fields } = message;
    const messageKey = key.message(sessionId, ulid);
    const item: Item = { ...messageKey, kind: 'message', ...fields, sessionId, userId };
    refuseTooLarge(item);
    // A messageId other than the ULID was the flow's own: it had its guard, and gets it again.
    const guard = message.messageId === ulid
      ? undefined
      : { ...key.messageId(sessionId, message.messageId), kind: 'message-id', messageSk: messageKey.sk, ...(message.expiresAt !== undefined ? { expiresAt: message.expiresAt } : {}) };
    return { item, ...(guard ? { guard } : {}), tokens: countTokens(contentText(message.content)), bytes: itemBytes(item) + (guard ? itemBytes(guard) : 0) };
  });
}

async function readSession(table: TableHandle, sessionId: string, userId: string): Promise<SessionState> {
  const { Item } = await table.documents.send(new GetCommand({ TableName: table.tableName, Key: key.session(sessionId), ConsistentRead: true }));
  checkOwner(Item, sessionId, userId);
  if (!Item) return { exists: false };
  return {
    exists: true,
    ...(Item['userId'] !== undefined ? { owner: String(Item['userId']) } : {}),
    ...(Item['createdAt'] !== undefined ? { createdAt: String(Item['createdAt']) } : {}),
    ...(Item['lastActivityAt'] !== undefined ? { lastActivityAt: String(Item['lastActivityAt']) } : {}),
    ...(Item[attribute.expiresAt] !== undefined ? { expiresAt: Number(Item[attribute.expiresAt]) } : {}),
  };
}

/**
 * The session item after the import: first activity the earliest, last activity the latest, and
 * an expiry no sooner than the stored one, the file's, or any of the piece's messages.
 */
function sessionTarget(state: SessionState, session: ExportedSession): SessionTarget {
  const times = [session.createdAt, ...(state.createdAt ? [state.createdAt] : [])].sort();
  const activity = [session.lastActivityAt, ...(state.lastActivityAt ? [state.lastActivityAt] : [])].sort();
  let expiresAt: number | undefined = session.expiresAt;
  // A session item outlives its longest-lived message by the grace forget-user relies on (session-expiry.ts).
  for (const message of session.messages) expiresAt = laterExpiry(expiresAt, sessionExpiresAt(message.expiresAt));
  if (state.exists) expiresAt = laterExpiry(expiresAt, state.expiresAt);
  return { createdAt: times[0]!, lastActivityAt: activity.at(-1)!, expiresAt };
}

function unchangedSession(state: SessionState, target: SessionTarget, userId: string): boolean {
  return state.exists && state.owner === userId && state.createdAt === target.createdAt
    && state.lastActivityAt === target.lastActivityAt && state.expiresAt === target.expiresAt;
}

/**
 * The session item's update, conditioned on the item being as it was read (new, or with the owner,
 * last activity and expiry read), so a writer that changed it in between makes this import read again.
 */
function sessionUpdate(table: TableHandle, sessionId: string, userId: string, state: SessionState, target: SessionTarget, writes: MessageWrite[]): TransactItem {
  const expression = updateExpression({
    set: {
      kind: 'session',
      sessionId,
      createdAt: target.createdAt,
      lastActivityAt: target.lastActivityAt,
      userId,
      [attribute.gsi1PartitionKey]: key.userSessions(userId),
      [attribute.gsi1SortKey]: key.userSessionsSort(target.lastActivityAt),
      ...(target.expiresAt !== undefined ? { [attribute.expiresAt]: target.expiresAt } : {}),
    },
    add: { messageCount: writes.length, tokens: writes.reduce((sum, w) => sum + w.tokens, 0) },
    ...(target.expiresAt === undefined ? { remove: [attribute.expiresAt] } : {}),
  });
  const names: Record<string, string> = { ...expression.ExpressionAttributeNames, '#pk': attribute.partitionKey };
  const values: Record<string, unknown> = { ...expression.ExpressionAttributeValues };
  let condition = 'attribute_not_exists(#pk)';
  if (state.exists) {
    Object.assign(names, { '#owner': 'userId', '#last': 'lastActivityAt', '#expires': attribute.expiresAt });
    const owner = state.owner === undefined ? 'attribute_not_exists(#owner)' : '#owner = :owner';
    const last = state.lastActivityAt === undefined ? 'attribute_not_exists(#last)' : '#last = :last';
    const expires = state.expiresAt === undefined ? 'attribute_not_exists(#expires)' : '#expires = :expires';
    if (state.owner !== undefined) values[':owner'] = state.owner;
    if (state.lastActivityAt !== undefined) values[':last'] = state.lastActivityAt;
    if (state.expiresAt !== undefined) values[':expires'] = state.expiresAt;
    condition = `attribute_exists(#pk) AND ${owner} AND ${last} AND ${expires}`;
  }
  return {
    Update: {
      TableName: table.tableName,
      Key: key.session(sessionId),
      UpdateExpression: expression.UpdateExpression,
      ConditionExpression: condition,
      ExpressionAttributeNames: names,
      ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
    },
  };
}

/** Transactions' worth of writes: each with its messages' actions and the session's update within DynamoDB's limits. */
function chunks(writes: MessageWrite[]): MessageWrite[][] {
  const result: MessageWrite[][] = [[]];
  let actions = 1;
  let bytes = 0;
  for (const write of writes) {
    const writeActions = write.guard ? 2 : 1;
    if (result.at(-1)!.length > 0 && (actions + writeActions > maxActions || bytes + write.bytes > maxTransactionBytes)) {
      result.push([]);
      actions = 1;
      bytes = 0;
    }
    result.at(-1)!.push(write);
    actions += writeActions;
    bytes += write.bytes;
  }
  return result;
}

/**
 * Writes one chunk of a session's messages with the session's update, all or nothing. A message
 * whose key or messageId is taken already is left out (it was imported before, or stored with
 * that messageId) and the rest written again; a session that changed since it was read is read
 * again. Returns the session as this chunk left it.
 */
async function writeChunk(
  table: TableHandle, userId: string, session: ExportedSession, state: SessionState, chunk: MessageWrite[], tally: Tally,
): Promise<SessionState> {
  let pending = chunk;
  let current = state;
  for (let attempt = 0; ; ) {
    const target = sessionTarget(current, session);
    if (pending.length === 0 && unchangedSession(current, target, userId)) return current;
    const update = sessionUpdate(table, session.sessionId, userId, current, target, pending);
    const actions: TransactItem[] = [
      ...pending.flatMap((write) => [
        { Put: { TableName: table.tableName, Item: write.item, ...notThere } },
        ...(write.guard ? [{ Put: { TableName: table.tableName, Item: write.guard, ...notThere } }] : []),
      ]),
      update,
    ];
    try {
      await table.documents.send(new TransactWriteCommand({ TransactItems: actions }));
      const guards = pending.filter((write) => write.guard).length;
      addCounts(tally.written, { message: pending.length, 'message-id': guards, session: current.exists ? 0 : 1 });
      tally.counted({ messages: pending.length, sessions: current.exists ? 0 : 1 });
      return { exists: true, owner: userId, createdAt: target.createdAt, lastActivityAt: target.lastActivityAt, ...(target.expiresAt !== undefined ? { expiresAt: target.expiresAt } : {}) };
    } catch (error) {
      const cancellation = transactionCancellation(error);
      if (cancellation === undefined) throw error;
      const { codes } = cancellation;
      const failed = (i: number) => codes[i] === 'ConditionalCheckFailed';
      let action = 0;
      const kept: MessageWrite[] = [];
      for (const write of pending) {
        const taken = failed(action++);
        const idTaken = write.guard !== undefined && failed(action++);
        if (taken || idTaken) tally.unchanged++;
        else kept.push(write);
      }
      const sessionChanged = failed(action);
      // Progress (messages found there already) needs no backoff and no attempt; the rest is bounded.
      if (kept.length === pending.length) {
        if (!sessionChanged && !cancellation.transient) throw error;
        if (++attempt > maxRetries) throw error;
        if (cancellation.transient) await backoff(attempt);
      }
      pending = kept;
      if (sessionChanged) current = await readSession(table, session.sessionId, userId);
    }
  }
}

/** Puts a summary unless the table has one that covers more (or the same, written no earlier). */
async function putSummary(table: TableHandle, session: ExportedSession, tally: Tally): Promise<void> {
  if (!session.summary) return;
  const item = { ...key.summary(session.sessionId), kind: 'summary', sessionId: session.sessionId, ...session.summary };
  await conditionalPut(table, item, {
    ConditionExpression: 'attribute_not_exists(#covers) OR #covers < :covers OR (#covers = :covers AND #updated < :updated)',
    ExpressionAttributeNames: { '#covers': 'covers', '#updated': 'updatedAt' },
    ExpressionAttributeValues: { ':covers': session.summary.covers, ':updated': session.summary.updatedAt },
  }, 'summary', tally);
}

/** Everything the part will write, built first: a key too long or an item too large refuses the part here. */
function plannedItems(part: ExportPart, userId: string, indexDimension: number | undefined) {
  const scope: GraphScope = { userId };
  const sessions = (part.sessions ?? []).map((session) => {
    key.session(session.sessionId);
    return { session, writes: sessionWrites(userId, session), scoped: sessionScopeWrites(session, indexDimension) };
  });
  const preferences = (part.preferences ?? []).map((p) => ({ ...key.preference(userId, p.key), kind: 'preference', userId, ...p }));
  const changes = (part.preferenceChanges ?? []).map(({ ulid, ...change }) => ({ ...key.preferenceChange(userId, ulid), kind: 'preference-change', userId, ...change }));
  const entities = (part.entities ?? []).map((entity) => ({ ...key.entity(scope, entity.id), kind: 'entity', ...entity }));
  const edges = (part.edges ?? []).map((edge) => {
    const { source, relation, target } = edge;
    const out = {
      ...key.edgeOut(scope, source, relation, target),
      kind: 'edge-out',
      ...edge,
      [attribute.gsi1PartitionKey]: key.relationIndex(scope, relation),
      [attribute.gsi1SortKey]: key.relationIndexSort(edge.createdAt, source, target),
    };
    return { out, incoming: { ...key.edgeIn(scope, source, relation, target), kind: 'edge-in', ...edge } };
  });
  const memories = memoryWrites({ userId }, part.memories ?? [], part.memoryChanges ?? [], indexDimension);
  for (const item of [...preferences, ...changes, ...entities, ...edges.map((e) => e.out)]) refuseTooLarge(item);
  return { sessions, preferences, changes, entities, edges, memories };
}

/**
 * Imports one part (validated by the caller with parseImportRequest). Sessions first (their
 * owners all checked before anything is written), each with what its partition holds, then
 * preferences, their history, entities, edges and the user's memory, each write conditioned so
 * that a second import of the part changes nothing.
 */
export async function importUser(table: TableHandle, counted: (change: CountChange) => void, request: ImportRequest, vectorIndex: VectorIndexWatch): Promise<ImportResult> {
  const { part } = request;
  const userId = request.userId ?? part.userId;
  const planned = plannedItems(part as ExportPart, userId, (await vectorIndex.state())?.dimension);
  await assertNotForgotten(table, userId);
  // Every session's owner is read before any write: another user's session refuses the whole part.
  const states = new Map<string, SessionState>();
  await inParallel(planned.sessions, inFlight, async ({ session }) => {
    if (!states.has(session.sessionId)) states.set(session.sessionId, await readSession(table, session.sessionId, userId));
  });
  const tally: Tally = { written: {}, unchanged: 0, counted };

  // The user marker makes the user known to the table's statistics: written once, by whoever is
  // first. The first part carries it; a later part with sessions writes one too (from its earliest
  // session) in case it is imported first, and does not report it as a record when it is there.
  const markerCreatedAt = part.user?.createdAt ?? planned.sessions.map(({ session }) => session.createdAt).sort()[0];
  if (markerCreatedAt !== undefined) {
    const marker = { ...key.userMarker(userId), kind: 'user', userId, createdAt: markerCreatedAt };
    const markerTally = part.user ? tally : { ...tally, unchanged: 0 };
    if (await conditionalPut(table, marker, notThere, 'user', markerTally)) counted({ users: 1 });
  }

  // A session appears once per part; its chunks go one after another (they share the session item).
  await inParallel(planned.sessions, inFlight, async ({ session, writes, scoped }) => {
    let state = states.get(session.sessionId)!;
    for (const chunk of chunks(writes)) state = await writeChunk(table, userId, session, state, chunk, tally);
    await putSummary(table, session, tally);
    await importSessionScope(table, scoped, state.expiresAt, tally);
  });
  await inParallel(planned.preferences, inFlight, (item) => conditionalPut(table, item, olderVersion(item.version), 'preference', tally));
  // An audit entry never changes: its ULID key is taken or free.
  await inParallel(planned.changes, inFlight, (item) => conditionalPut(table, item, notThere, 'preference-change', tally));
  await inParallel(planned.entities, inFlight, (item) => conditionalPut(table, item, olderVersion(item.version), 'entity', tally));
  // An edge's two items are written together, as link writes them, unless the table's was linked as late or later.
  await inParallel(planned.edges, inFlight, ({ out, incoming }) => {
    const condition = {
      ConditionExpression: 'attribute_not_exists(#pk) OR #created < :created',
      ExpressionAttributeNames: { '#pk': attribute.partitionKey, '#created': 'createdAt' },
      ExpressionAttributeValues: { ':created': out.createdAt },
    };
    const actions = [out, incoming].map((Item) => ({ Put: { TableName: table.tableName, Item, ...condition } }));
    return transactTogether(table, actions, { 'edge-out': 1, 'edge-in': 1 }, tally);
  });
  await importMemories(table, planned.memories, tally);
  return { userId, part: part.part, last: part.last, written: tally.written, unchanged: tally.unchanged };
}

