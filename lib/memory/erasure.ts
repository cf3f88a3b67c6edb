/**
 * Deleting what the pack keeps: one session (clear) here, everything of a user as a job
 * (forget-job.ts). Deleting is idempotent, so an interrupted run is finished by running it again;
 * what was deleted is taken off the table's counters page by page, so they are right at every step.
 */
import type { ClearRequest } from '../schemas/clear-request';
import { batchWrite } from './batch-write';
import { addCounts, deletePartition, type CountsByKind } from './partition-delete';
import { assertOwner } from './session-owner';
import type { TableCounters } from './table-counters';
import type { TableHandle } from './table-handle';
import { key } from './table-layout';

export interface ClearResult {
  /** Messages deleted. */
  messages: number;
  /** Items deleted in all: messages, messageId guards and the session item. */
  items: number;
}

export function totalItems(counts: CountsByKind): number {
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
}

/** Takes deleted sessions, messages and user markers off the table's counters. */
export function uncount(counters: TableCounters, counts: CountsByKind): void {
  counters.add({ sessions: -(counts['session'] ?? 0), messages: -(counts['message'] ?? 0), users: -(counts['user'] ?? 0) });
}

/**
 * Deletes every item of the session: messages, messageId guards, the summary, and last the session
 * item with its forget mark (so an interrupted delete still shows in the user's sessions, still
 * refused while its user is being forgotten, and running it again finishes it). `onPage` hears what
 * each page deleted, the session item last.
 */
export async function deleteSession(table: TableHandle, sessionId: string, onPage: (counts: CountsByKind) => void | Promise<void>): Promise<CountsByKind> {
  const sessionKey = key.session(sessionId);
  const last = new Map([[sessionKey.sk, 'session'], [key.forgetMark(sessionId).sk, 'forget-mark']]);
  const { counts, deferredKeys } = await deletePartition({
    documents: table.documents,
    tableName: table.tableName,
    pk: sessionKey.pk,
    deferred: (sk) => last.has(sk),
    onPage,
  });
  if (deferredKeys.length > 0) {
    await batchWrite(table.documents, table.tableName, deferredKeys.map((Key) => ({ DeleteRequest: { Key } })));
    const lastCounts: CountsByKind = {};
    for (const deferred of deferredKeys) addCounts(lastCounts, { [last.get(String(deferred['sk']))!]: 1 });
    addCounts(counts, lastCounts);
    await onPage(lastCounts);
  }
  return counts;
}

export async function clearSession(table: TableHandle, counters: TableCounters, request: ClearRequest): Promise<ClearResult> {
  await assertOwner(table, request.sessionId, request.userId);
  const counts = await deleteSession(table, request.sessionId, (page) => uncount(counters, page));
  return { messages: counts['message'] ?? 0, items: totalItems(counts) };
}
