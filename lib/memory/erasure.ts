/**
 * Deleting what the pack keeps: one session (clear), or everything of a user (forget). Deleting is
 * idempotent, so an interrupted run is finished by running it again; what was deleted is taken
 * off the table's counters.
 */
import type { ClearRequest, ForgetRequest } from '../schemas/clear-request';
import { batchWrite } from './batch-write';
import { addCounts, deletePartition, type CountsByKind } from './partition-delete';
import { queryPages } from './query-pages';
import { assertOwner } from './session-owner';
import type { TableCounters } from './table-counters';
import type { TableHandle } from './table-handle';
import { key } from './table-layout';
import { userSessionsQuery } from './user-sessions';

export interface ClearResult {
  /** Messages deleted. */
  messages: number;
  /** Items deleted in all: messages, messageId guards and the session item. */
  items: number;
}

export interface ForgetResult {
  /** Items deleted by kind (message, message-id, session, preference, preference-change, entity, edge-out, edge-in). */
  deleted: CountsByKind;
  items: number;
}

function totalItems(counts: CountsByKind): number {
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
}

/** Takes deleted sessions, messages and user markers off the table's counters. */
function uncount(counters: TableCounters, counts: CountsByKind): void {
  counters.add({ sessions: -(counts['session'] ?? 0), messages: -(counts['message'] ?? 0), users: -(counts['user'] ?? 0) });
}

/**
 * Deletes every item of the session: messages, messageId guards, the summary, and last the session
 * item (so an interrupted clear still shows in the user's sessions, and running it again finishes it).
 */
async function deleteSession(table: TableHandle, counters: TableCounters, sessionId: string): Promise<CountsByKind> {
  const sessionKey = key.session(sessionId);
  const { counts, deferredKeys } = await deletePartition({
    documents: table.documents,
    tableName: table.tableName,
    pk: sessionKey.pk,
    deferred: (sk) => sk === sessionKey.sk,
  });
  if (deferredKeys.length > 0) {
    await batchWrite(table.documents, table.tableName, deferredKeys.map((Key) => ({ DeleteRequest: { Key } })));
    counts['session'] = (counts['session'] ?? 0) + deferredKeys.length;
  }
  uncount(counters, counts);
  return counts;
}

export async function clearSession(table: TableHandle, counters: TableCounters, request: ClearRequest): Promise<ClearResult> {
  await assertOwner(table, request.sessionId, request.userId);
  const counts = await deleteSession(table, counters, request.sessionId);
  return { messages: counts['message'] ?? 0, items: totalItems(counts) };
}

/**
 * Deletes everything this pack keeps for a user: every session of theirs (messages and session
 * items), their preferences and preference history, and their graph. Counts come back by kind.
 */
export async function forgetUser(table: TableHandle, counters: TableCounters, request: ForgetRequest): Promise<ForgetResult> {
  const { userId } = request;
  const sessionIds: string[] = [];
  // Owned sessions are found through the user index, expired ones included.
  for await (const page of queryPages(table.documents, { ...userSessionsQuery(table, userId), ProjectionExpression: 'sessionId' })) {
    sessionIds.push(...(page.Items ?? []).map((item) => String(item['sessionId'])));
  }
  const counts: CountsByKind = {};
  for (const sessionId of sessionIds) addCounts(counts, await deleteSession(table, counters, sessionId));
  for (const pk of [key.userPartition(userId), key.graphPartition({ userId })]) {
    const deleted = (await deletePartition({ documents: table.documents, tableName: table.tableName, pk })).counts;
    uncount(counters, { user: deleted['user'] ?? 0 });
    addCounts(counts, deleted);
  }
  return { deleted: counts, items: totalItems(counts) };
}
