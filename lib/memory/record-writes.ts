/**
 * The writes that several changes of long-term memory make, as TransactWriteItems actions with
 * their audit entry: a new record (remember, extraction's ADD and UPDATE), and the end of a record
 * that is no longer true (extraction's UPDATE and DELETE, a remember that supersedes what it
 * contradicts). The caller puts them in one transaction with the scope's version bump.
 */
import { MemoryInputError } from '../errors/input-errors';
import { itemBytes, maxItemBytes } from './item-size';
import { changeItem, contentFromItem, recordFromItem, recordItem, scopeName, vectorItem, type MemoryChange, type MemoryRecord, type RecordContent } from './memory-items';
import { nextItemUlid } from './message-ids';
import { attribute, type MemoryScope } from './table-layout';

type Item = Record<string, unknown>;

/** When a write happens, and the table's vector index dimension (none: no index). */
export interface WriteContext {
  tableName: string;
  nowMs: number;
  at: string;
  indexDimension: number | undefined;
}

/** A record's actions (record, vector, audit entry), the record as it is then, and its audit entry's ULID. */
export interface RecordWrite {
  actions: Item[];
  record: MemoryRecord;
  changeUlid: string;
}

/** A new record: its Put fails when the id exists; refused before any write when it is too large. */
export function addedRecord(scope: MemoryScope, id: string, content: RecordContent, context: WriteContext): RecordWrite {
  const { tableName, nowMs, at } = context;
  const item = recordItem(scope, id, content, { createdAt: at, updatedAt: at }, { accessCount: 0, version: 1 }, context.indexDimension);
  assertFits(item);
  const changeUlid = nextItemUlid(nowMs);
  return {
    actions: [
      { Put: { TableName: tableName, Item: item, ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': attribute.partitionKey } } },
      { Put: { TableName: tableName, Item: vectorItem(scope, id, content, at) } },
      { Put: { TableName: tableName, Item: changeItem(scope, changeUlid, { id, action: 'ADD', newText: content.text, version: 1, changedAt: at }) } },
    ],
    record: recordFromItem(item, scopeName(scope)),
    changeUlid,
  };
}

/**
 * The end of a record read as `item`: written again with `validTo` (recall leaves it out from then
 * on and finds it with a `validAt` before), on the version read, so that of two writers ending or
 * changing it at once one fails and reads again. Its text and updatedAt stay: it is history.
 */
export function supersededRecord(
  scope: MemoryScope,
  item: Item,
  change: { action: Extract<MemoryChange['action'], 'UPDATE' | 'DELETE'>; newText?: string; validTo: string },
  context: WriteContext,
): RecordWrite {
  const { tableName, nowMs, at } = context;
  const stored = recordFromItem(item, scopeName(scope));
  const content = contentFromItem(item, { validTo: change.validTo });
  const version = stored.version + 1;
  const record = recordItem(scope, stored.id, content, { createdAt: stored.createdAt, updatedAt: stored.updatedAt }, {
    accessCount: stored.accessCount,
    ...(stored.lastAccessedAt ? { lastAccessedAt: stored.lastAccessedAt } : {}),
    version,
  }, context.indexDimension);
  const changeUlid = nextItemUlid(nowMs);
  const audit: MemoryChange = { id: stored.id, action: change.action, oldText: stored.text, ...(change.newText !== undefined ? { newText: change.newText } : {}), version, changedAt: at };
  return {
    actions: [
      {
        Put: {
          TableName: tableName,
          Item: record,
          ConditionExpression: '#version = :version',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: { ':version': stored.version },
        },
      },
      { Put: { TableName: tableName, Item: vectorItem(scope, stored.id, content, stored.updatedAt) } },
      { Put: { TableName: tableName, Item: changeItem(scope, changeUlid, audit) } },
    ],
    record: recordFromItem(record, scopeName(scope)),
    changeUlid,
  };
}

/** Refuses a record item over DynamoDB's item size, naming the record. */
export function assertFits(record: Item): void {
  const bytes = itemBytes(record);
  if (bytes > maxItemBytes) throw new MemoryInputError('input.memory-too-large', { id: String(record['id']), size: (bytes / 1024).toFixed(1) });
}
