/**
 * The items of one long-term memory record (table-layout.ts): the record, its vector item, an audit
 * entry per change, and the scope's version item; and the record as the core hands it out.
 */
import { randomUUID } from 'node:crypto';
import { encodeCompact, quantize } from './compact-vector';
import { float32Numbers, type Embedding, type EmbedderId } from './embedding';
import type { ScopeVersion } from './memory-vectors';
import { attribute, key, type MemoryScope } from './table-layout';

type Item = Record<string, unknown>;

export type MemoryScopeName = 'user' | 'session' | 'named';

/** A memory record as remember, get, recall and list hand it out. */
export interface MemoryRecord {
  id: string;
  scope: MemoryScopeName;
  text: string;
  kind?: string;
  /** 1 to 10. */
  importance: number;
  metadata: Record<string, unknown>;
  sourceMessageIds?: string[];
  /** ISO 8601. */
  createdAt: string;
  updatedAt: string;
  lastAccessedAt?: string;
  /** How many recalls returned it. */
  accessCount: number;
  validFrom?: string;
  validTo?: string;
  /** When DynamoDB's TTL deletes it (ISO 8601); none: never. */
  expiresAt?: string;
  embedder: string;
  dimension: number;
  /** Goes up by one with each update. */
  version: number;
}

/**
 * One audit entry: what a remember (ADD), update (UPDATE) or forget (DELETE) changed, or a remember
 * merged into an existing record (MERGE: oldText the record's text, kept; newText the text remembered).
 */
export interface MemoryChange {
  id: string;
  action: 'ADD' | 'UPDATE' | 'DELETE' | 'MERGE';
  oldText?: string;
  newText?: string;
  version: number;
  changedAt: string;
}

/** The fields of a record that a change sets; the rest (id, counts, times) the write adds. */
export interface RecordContent {
  text: string;
  kind?: string;
  importance: number;
  metadata: Record<string, unknown>;
  sourceMessageIds?: string[];
  validFrom?: string;
  validTo?: string;
  /** Epoch seconds. */
  expiresAt?: number;
  embedding: Embedding;
}

/**
 * What an item stores as its embedder: name and dimension in one string, the form AWS's vector
 * index filters on inline (a search compares one attribute by equality).
 */
export function embedderKey(id: EmbedderId): string {
  return `${id.embedder}/${id.dimension}`;
}

export function embedderFromKey(stored: unknown): EmbedderId {
  const text = String(stored);
  const at = text.lastIndexOf('/');
  return { embedder: text.slice(0, at), dimension: Number(text.slice(at + 1)) };
}

export function scopeName(scope: MemoryScope): MemoryScopeName {
  return 'userId' in scope ? 'user' : 'sessionId' in scope ? 'session' : 'named';
}

/** What scoring and filtering need, on both the record and the vector item. */
function scoredFields(content: RecordContent, updatedAt: string): Item {
  return {
    embedder: embedderKey(content.embedding),
    importance: content.importance,
    updatedAt,
    ...(content.kind !== undefined ? { memoryKind: content.kind } : {}),
    ...(Object.keys(content.metadata).length > 0 ? { metadata: content.metadata } : {}),
    ...(content.validFrom !== undefined ? { validFrom: content.validFrom } : {}),
    ...(content.validTo !== undefined ? { validTo: content.validTo } : {}),
    ...(content.expiresAt !== undefined ? { [attribute.expiresAt]: content.expiresAt } : {}),
  };
}

/**
 * A record item. `indexDimension` is the table's vector index's (none: the table has none): a
 * record whose vector has that dimension carries it as the index reads it (a list of numbers) and
 * its scope as the index's HASH search attribute; DynamoDB refuses a vector of another length, so
 * other records carry neither and are found by the exact path.
 */
export function recordItem(
  scope: MemoryScope,
  id: string,
  content: RecordContent,
  times: { createdAt: string; updatedAt: string },
  counts: { accessCount: number; lastAccessedAt?: string; version: number },
  indexDimension?: number,
): Item {
  const vector = content.embedding.vector;
  const indexed = indexDimension === content.embedding.dimension;
  return {
    ...key.memory(scope, id),
    kind: 'memory',
    id,
    text: content.text,
    ...scoredFields(content, times.updatedAt),
    ...(content.sourceMessageIds !== undefined ? { sourceMessageIds: content.sourceMessageIds } : {}),
    createdAt: times.createdAt,
    accessCount: counts.accessCount,
    ...(counts.lastAccessedAt !== undefined ? { lastAccessedAt: counts.lastAccessedAt } : {}),
    version: counts.version,
    // The float32 vector, for ranking a recall's candidates exactly and for export.
    vec32: new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength),
    ...(indexed ? { [attribute.vector]: float32Numbers(vector), [attribute.memoryScope]: key.memoryPartition(scope) } : {}),
  };
}

export function vectorItem(scope: MemoryScope, id: string, content: RecordContent, updatedAt: string): Item {
  return {
    ...key.memoryVector(scope, id),
    kind: 'memory-vector',
    id,
    ...scoredFields(content, updatedAt),
    vec8: encodeCompact(quantize(content.embedding.vector)),
  };
}

export function changeItem(scope: MemoryScope, ulid: string, change: MemoryChange): Item {
  return {
    ...key.memoryChange(scope, ulid),
    kind: 'memory-change',
    recordId: change.id,
    action: change.action,
    ...(change.oldText !== undefined ? { oldText: change.oldText } : {}),
    ...(change.newText !== undefined ? { newText: change.newText } : {}),
    version: change.version,
    changedAt: change.changedAt,
  };
}

/**
 * The scope's version item goes up with every write, so caches of its vectors know they are stale.
 * Its `epoch` is set when the item is made: a scope erased (forget-user, clear) and written again
 * counts from 1 again, and the epoch tells that count from the old one.
 */
export function versionBump(tableName: string, scope: MemoryScope, changeUlid?: string, expected?: ScopeVersion) {
  // Only when nothing in the scope changed since `expected` was read (none yet: still none).
  const condition =
    expected === undefined
      ? {}
      : expected.version === 0
        ? { ConditionExpression: 'attribute_not_exists(#version)' }
        : { ConditionExpression: '#version = :expectedVersion AND #epoch = :expectedEpoch' };
  const expectedValues = expected === undefined || expected.version === 0 ? {} : { ':expectedVersion': expected.version, ':expectedEpoch': expected.epoch };
  return {
    Update: {
      TableName: tableName,
      Key: key.memoryVersion(scope),
      UpdateExpression: `ADD #version :one SET #kind = :kind, #epoch = if_not_exists(#epoch, :epoch)${changeUlid === undefined ? '' : ', #lastChange = :ulid'}`,
      ExpressionAttributeNames: { '#version': 'version', '#kind': 'kind', '#epoch': 'epoch', ...(changeUlid === undefined ? {} : { '#lastChange': 'lastChange' }) },
      ExpressionAttributeValues: { ':one': 1, ':kind': 'memory-version', ':epoch': randomUUID(), ...(changeUlid === undefined ? {} : { ':ulid': changeUlid }), ...expectedValues },
      ...condition,
    },
  };
}

/** The float32 vector a record item stores. */
export function storedVector(item: Item): Float32Array {
  const bytes = item['vec32'] as Uint8Array;
  // Copied: the item's bytes need not be 4-byte aligned.
  return new Float32Array(Uint8Array.from(bytes).buffer);
}

export function recordFromItem(item: Item, scope: MemoryScopeName): MemoryRecord {
  const { embedder, dimension } = embedderFromKey(item['embedder']);
  const expiresAt = item[attribute.expiresAt];
  return {
    id: String(item['id']),
    scope,
    text: String(item['text']),
    ...(item['memoryKind'] !== undefined ? { kind: String(item['memoryKind']) } : {}),
    importance: Number(item['importance']),
    metadata: (item['metadata'] as Record<string, unknown> | undefined) ?? {},
    ...(item['sourceMessageIds'] !== undefined ? { sourceMessageIds: item['sourceMessageIds'] as string[] } : {}),
    createdAt: String(item['createdAt']),
    updatedAt: String(item['updatedAt']),
    ...(item['lastAccessedAt'] !== undefined ? { lastAccessedAt: String(item['lastAccessedAt']) } : {}),
    accessCount: Number(item['accessCount'] ?? 0),
    ...(item['validFrom'] !== undefined ? { validFrom: String(item['validFrom']) } : {}),
    ...(item['validTo'] !== undefined ? { validTo: String(item['validTo']) } : {}),
    ...(expiresAt !== undefined ? { expiresAt: new Date(Number(expiresAt) * 1000).toISOString() } : {}),
    embedder,
    dimension,
    version: Number(item['version'] ?? 1),
  };
}

/** What a record item holds as the content a write sets, to write it again with some fields changed. */
export function contentFromItem(item: Item, changes: Partial<RecordContent> = {}): RecordContent {
  const record = recordFromItem(item, 'user');
  const expiresAt = item[attribute.expiresAt];
  return {
    text: record.text,
    ...(record.kind !== undefined ? { kind: record.kind } : {}),
    importance: record.importance,
    metadata: record.metadata,
    ...(record.sourceMessageIds !== undefined ? { sourceMessageIds: record.sourceMessageIds } : {}),
    ...(record.validFrom !== undefined ? { validFrom: record.validFrom } : {}),
    ...(record.validTo !== undefined ? { validTo: record.validTo } : {}),
    ...(expiresAt !== undefined ? { expiresAt: Number(expiresAt) } : {}),
    embedding: { embedder: record.embedder, dimension: record.dimension, vector: storedVector(item) },
    ...changes,
  };
}

export function changeFromItem(item: Item): MemoryChange {
  return {
    id: String(item['recordId']),
    action: item['action'] as MemoryChange['action'],
    ...(item['oldText'] !== undefined ? { oldText: String(item['oldText']) } : {}),
    ...(item['newText'] !== undefined ? { newText: String(item['newText']) } : {}),
    version: Number(item['version']),
    changedAt: String(item['changedAt']),
  };
}

/** Whether a record (or its item) is valid at `ms`: from its validFrom (inclusive) to its validTo (exclusive). */
export function validAt(period: { validFrom?: unknown; validTo?: unknown }, ms: number): boolean {
  return (period.validFrom === undefined || Date.parse(String(period.validFrom)) <= ms) && (period.validTo === undefined || ms < Date.parse(String(period.validTo)));
}
