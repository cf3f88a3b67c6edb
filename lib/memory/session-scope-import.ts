/**
 * Import of what a session's partition holds besides its messages and summary (the session piece's
 * `memories`, `memoryChanges`, `workingEntries`, `workingSteps` and `extractionWatermark`,
 * docs/export-format.md), into the session of the same id. user-import.ts calls it once the
 * session item is there (forget-user finds the partition through it) and its owner checked.
 *
 * What the table derives is derived again: a memory record's vector item and the scope's version
 * (import-writes.ts), and the working-memory counter, which gains one in the transaction of each
 * entry this import writes, as an add does: it counts the entries whatever was there before.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ExportedSession } from '../schemas/transfer-request';
import { conditionalPut, conditionalWrite, importMemories, inFlight, memoryWrites, notThere, refuseTooLarge, transactTogether, type MemoryWrites, type Tally } from './import-writes';
import { inParallel } from './in-parallel';
import { partitionExpiresBy } from './session-expiry';
import type { TableHandle } from './table-handle';
import { key } from './table-layout';
import { updateExpression } from './update-expression';
import { workingCounterUpdate } from './working-memory';

type Item = Record<string, unknown>;

export interface SessionScopeWrites {
  scope: { sessionId: string };
  memory: MemoryWrites;
  entries: Item[];
  steps: Item[];
  watermark?: ExportedSession['extractionWatermark'];
}

/** The piece's items, built (and so measured against the key and item limits) before anything is written. */
export function sessionScopeWrites(session: ExportedSession, indexDimension: number | undefined): SessionScopeWrites {
  const scope = { sessionId: session.sessionId };
  const entries = (session.workingEntries ?? []).map((entry) => ({ ...key.workingEntry(scope, entry.id), kind: 'working-entry', ...entry }));
  const steps = (session.workingSteps ?? []).map((step) => ({ ...key.workingStep(scope, step.id), kind: 'working-step', ...step }));
  for (const item of [...entries, ...steps]) refuseTooLarge(item);
  return {
    scope,
    memory: memoryWrites(scope, session.memories ?? [], session.memoryChanges ?? [], indexDimension),
    entries,
    steps,
    ...(session.extractionWatermark ? { watermark: session.extractionWatermark } : {}),
  };
}

/**
 * Writes the piece's session-scope records; `sessionExpiresAt` is the session item's expiry as the
 * import left it, which the working-memory counter follows as an add's does.
 */
export async function importSessionScope(table: TableHandle, writes: SessionScopeWrites, sessionExpiresAt: number | undefined, tally: Tally): Promise<void> {
  const { scope } = writes;
  await importMemories(table, writes.memory, tally);
  const counter = workingCounterUpdate(table.tableName, scope, partitionExpiresBy(sessionExpiresAt), 1);
  await inParallel(writes.entries, inFlight, (item) =>
    transactTogether(table, [{ Put: { TableName: table.tableName, Item: item, ...notThere } }, counter], { 'working-entry': 1 }, tally));
  // A step's ULID is its place in the chain: taken, or free.
  await inParallel(writes.steps, inFlight, (item) => conditionalPut(table, item, notThere, 'working-step', tally));
  if (writes.watermark) await putWatermark(table, scope.sessionId, writes.watermark, tally);
}

/**
 * The watermark moves forward only: a table whose extractions covered as much or more keeps its
 * own, so no message is extracted twice and none that the table's covers is extracted again. Its
 * version counts this write as one more move.
 */
function putWatermark(table: TableHandle, sessionId: string, watermark: NonNullable<SessionScopeWrites['watermark']>, tally: Tally): Promise<boolean> {
  const expression = updateExpression({ set: { kind: 'extraction-watermark', sessionId, ...watermark }, add: { version: 1 } });
  return conditionalWrite(() => table.documents.send(new UpdateCommand({
    TableName: table.tableName,
    Key: key.extractionWatermark(sessionId),
    UpdateExpression: expression.UpdateExpression,
    ConditionExpression: 'attribute_not_exists(#covers) OR #covers < :covers',
    ExpressionAttributeNames: { ...expression.ExpressionAttributeNames, '#covers': 'covers' },
    ExpressionAttributeValues: { ...expression.ExpressionAttributeValues, ':covers': watermark.covers },
  })), 'extraction-watermark', tally);
}
