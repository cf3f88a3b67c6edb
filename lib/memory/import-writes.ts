/**
 * The writes an import (user-import.ts, session-scope-import.ts) is made of: each conditioned so
 * that a record the table has already (or has newer) is left as it is and counted as unchanged,
 * which is what makes importing a part twice write nothing the second time.
 */
import { PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { MemoryInputError } from '../errors/input-errors';
import type { ExportedMemory, ExportedMemoryChange } from '../schemas/transfer-request';
import { inParallel } from './in-parallel';
import { itemBytes, maxItemBytes } from './item-size';
import { recordItem, vectorItem, versionBump, type RecordContent } from './memory-items';
import { addCounts, type CountsByKind } from './partition-delete';
import { assertFits } from './record-writes';
import { backoff, maxRetries } from './retry';
import type { CountChange } from './table-counters';
import type { TableHandle } from './table-handle';
import { attribute, key, type MemoryScope } from './table-layout';
import { transactionCancellation } from './transaction-cancellation';

type Item = Record<string, unknown>;

/** Records of one part (or of one session's piece) imported at the same time. */
export const inFlight = 4;

export const notThere = { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': attribute.partitionKey } };

/** What an import wrote and left, as it goes. */
export interface Tally {
  written: CountsByKind;
  unchanged: number;
  counted: (change: CountChange) => void;
}

/** Refuses the part before anything is written: DynamoDB would refuse the item mid-import. */
export function refuseTooLarge(item: Item): void {
  const bytes = itemBytes(item);
  if (bytes > maxItemBytes) throw new MemoryInputError('input.message-too-large', { size: (bytes / 1024).toFixed(1) });
}

/** A PutItem whose failed condition means "the table's is as new or newer": counted as unchanged. */
export function conditionalPut(
  table: TableHandle,
  item: Item,
  condition: { ConditionExpression: string; ExpressionAttributeNames: Record<string, string>; ExpressionAttributeValues?: Item },
  kind: string,
  tally: Tally,
): Promise<boolean> {
  return conditionalWrite(() => table.documents.send(new PutCommand({ TableName: table.tableName, Item: item, ...condition })), kind, tally);
}

/** A conditioned write (PutItem or UpdateItem): written, or (its condition failed) counted as unchanged. */
export async function conditionalWrite(write: () => Promise<unknown>, kind: string, tally: Tally): Promise<boolean> {
  try {
    await write();
    addCounts(tally.written, { [kind]: 1 });
    return true;
  } catch (error) {
    if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    tally.unchanged++;
    return false;
  }
}

/**
 * Items that belong together in one transaction (`written` counts them by kind), unless one of
 * their conditions fails: the table has the record already (or newer), counted as unchanged.
 * Transient cancellations are tried again. True when written.
 */
export async function transactTogether(table: TableHandle, actions: Item[], written: CountsByKind, tally: Tally): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    try {
      await table.documents.send(new TransactWriteCommand({ TransactItems: actions as never }));
      addCounts(tally.written, written);
      return true;
    } catch (error) {
      const cancellation = transactionCancellation(error);
      if (cancellation?.codes.includes('ConditionalCheckFailed')) {
        tally.unchanged++;
        return false;
      }
      if (!cancellation?.transient || attempt >= maxRetries) throw error;
      await backoff(attempt);
    }
  }
}

/** Newer by version: the item is written unless the table has this version of it or a later one. */
export const olderVersion = (version: number) => ({
  ConditionExpression: 'attribute_not_exists(#pk) OR attribute_not_exists(#version) OR #version < :version',
  ExpressionAttributeNames: { '#pk': attribute.partitionKey, '#version': 'version' },
  ExpressionAttributeValues: { ':version': version },
});

export interface MemoryWrites {
  scope: MemoryScope;
  memories: Array<{ record: Item; vector: Item }>;
  changes: Item[];
}

/**
 * A scope's memory records as items (each with its vector item, derived from the record's float32
 * vector) and its audit entries, built before anything is written: a bad vector refuses the part.
 */
export function memoryWrites(scope: MemoryScope, memories: readonly ExportedMemory[], changes: readonly ExportedMemoryChange[], indexDimension: number | undefined): MemoryWrites {
  const writes = {
    scope,
    memories: memories.map((memory) => memoryItems(scope, memory, indexDimension)),
    changes: changes.map(({ ulid, ...change }) => ({ ...key.memoryChange(scope, ulid), kind: 'memory-change', ...change })),
  };
  for (const { record } of writes.memories) assertFits(record);
  for (const item of writes.changes) refuseTooLarge(item);
  return writes;
}

function memoryItems(scope: MemoryScope, memory: ExportedMemory, indexDimension: number | undefined) {
  const bytes = Buffer.from(memory.vector, 'base64');
  if (bytes.length !== memory.dimension * 4) throw new MemoryInputError('input.memory-vector', { field: `memories.${memory.id}.vector` });
  const content: RecordContent = {
    text: memory.text,
    ...(memory.kind !== undefined ? { kind: memory.kind } : {}),
    importance: memory.importance,
    metadata: (memory.metadata as Record<string, unknown> | undefined) ?? {},
    ...(memory.sourceMessageIds !== undefined ? { sourceMessageIds: memory.sourceMessageIds } : {}),
    ...(memory.validFrom !== undefined ? { validFrom: memory.validFrom } : {}),
    ...(memory.validTo !== undefined ? { validTo: memory.validTo } : {}),
    ...(memory.expiresAt !== undefined ? { expiresAt: memory.expiresAt } : {}),
    embedding: { embedder: memory.embedder, dimension: memory.dimension, vector: new Float32Array(Uint8Array.from(bytes).buffer) },
  };
  const record = recordItem(scope, memory.id, content, { createdAt: memory.createdAt, updatedAt: memory.updatedAt }, {
    accessCount: memory.accessCount,
    ...(memory.lastAccessedAt !== undefined ? { lastAccessedAt: memory.lastAccessedAt } : {}),
    version: memory.version,
  }, indexDimension);
  return { record, vector: vectorItem(scope, memory.id, content, memory.updatedAt) };
}

/**
 * A record and its vector item together, unless the table has this version of the record or a
 * later one; audit entries as they were. Then the scope's version goes up without a new audit
 * entry, which makes every process's cache of the scope read it whole (memory-vectors.ts).
 */
export async function importMemories(table: TableHandle, writes: MemoryWrites, tally: Tally): Promise<void> {
  let wrote = false;
  await inParallel(writes.memories, inFlight, async ({ record, vector }) => {
    const condition = olderVersion(Number(record['version']));
    const actions = [{ Put: { TableName: table.tableName, Item: record, ...condition } }, { Put: { TableName: table.tableName, Item: vector } }];
    if (await transactTogether(table, actions, { memory: 1, 'memory-vector': 1 }, tally)) wrote = true;
  });
  await inParallel(writes.changes, inFlight, async (item) => {
    if (await conditionalPut(table, item, notThere, 'memory-change', tally)) wrote = true;
  });
  if (wrote) await table.documents.send(new UpdateCommand(versionBump(table.tableName, writes.scope).Update));
}
