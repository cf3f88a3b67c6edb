/**
 * A scope's compact vectors for an exact recall, read once per process and kept while the scope
 * does not change. Every write bumps the scope's version item in its own transaction
 * (memory-items.ts `versionBump`), so a recall of a scope it holds reads that one small item (1 read
 * unit) and:
 *   - the same version: uses what it holds, reading nothing else;
 *   - a newer version: reads the audit entries since its last one, and re-reads only the vector
 *     items they name (a change by another Node-RED process is seen this way too);
 *   - nothing held, too much changed, or a change without an audit entry (an import): reads every
 *     vector item of the scope.
 * Audit entries' ULIDs come from each writer's clock, and a transaction that started earlier may
 * commit later, so the log is read from `logOverlapMs` before the last entry seen: entries read
 * twice only cost a re-read of their vector item.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { decodeTime } from 'ulid';
import { batchGet } from './batch-get';
import { decodeCompact, squaredLength } from './compact-vector';
import { embedderFromKey } from './memory-items';
import { ulidBounds } from './message-ids';
import { queryPages } from './query-pages';
import type { TableHandle } from './table-handle';
import { attribute, key, prefix, type MemoryScope } from './table-layout';

type Item = Record<string, unknown>;

/** One record's vector and what scoring and filtering need. */
export interface ScopeVector {
  id: string;
  embedder: string;
  dimension: number;
  values: Int8Array;
  squaredLength: number;
  kind?: string;
  importance: number;
  updatedAtMs: number;
  validFromMs?: number;
  validToMs?: number;
  metadata?: Record<string, unknown>;
  /** Epoch seconds. */
  expiresAt?: number;
}

/** What the version item says (none yet: version 0). */
interface VersionState {
  /** Which life of the version item this is (memory-items.ts `versionBump`). */
  epoch: string;
  version: number;
  /** The newest audit entry's ULID when this was read. */
  lastChange: string;
}

interface CachedScope extends VersionState {
  vectors: Map<string, ScopeVector>;
}

/** How far back a delta read starts before the last entry seen (clock skew and slow commits). */
const logOverlapMs = 5 * 60 * 1000;
/** Beyond this many changes, reading the whole scope again is as cheap. */
const maxDelta = 500;
/** Scopes a process keeps (least recently recalled dropped first). */
const maxScopes = 1000;

export interface VectorRead {
  vectors: ScopeVector[];
  /** How the vectors were had: from the cache, a delta of changed records, or the whole scope. */
  read: 'cached' | 'delta' | 'full';
  /** The scope's version they are of: a write conditioned on it fails once anything changed since. */
  version: ScopeVersion;
}

/** A scope's version item as read: its life (epoch; none yet: '') and count (none yet: 0). */
export type ScopeVersion = Pick<VersionState, 'epoch' | 'version'>;

export function vectorFromItem(item: Item): ScopeVector {
  const compact = decodeCompact(item['vec8'] as Uint8Array);
  const { embedder, dimension } = embedderFromKey(item['embedder']);
  const time = (name: string) => (item[name] === undefined ? undefined : Date.parse(String(item[name])));
  return {
    id: String(item['id']),
    embedder,
    dimension,
    values: compact.values,
    squaredLength: squaredLength(compact.values),
    ...(item['memoryKind'] !== undefined ? { kind: String(item['memoryKind']) } : {}),
    importance: Number(item['importance']),
    updatedAtMs: Date.parse(String(item['updatedAt'])),
    ...(item['validFrom'] !== undefined ? { validFromMs: time('validFrom')! } : {}),
    ...(item['validTo'] !== undefined ? { validToMs: time('validTo')! } : {}),
    ...(item['metadata'] !== undefined ? { metadata: item['metadata'] as Record<string, unknown> } : {}),
    ...(item[attribute.expiresAt] !== undefined ? { expiresAt: Number(item[attribute.expiresAt]) } : {}),
  };
}

function versionState(item: Item | undefined): VersionState {
  return { epoch: String(item?.['epoch'] ?? ''), version: Number(item?.['version'] ?? 0), lastChange: String(item?.['lastChange'] ?? '') };
}

export class ScopeVectorCache {
  private readonly scopes = new Map<string, CachedScope>();

  /** The scope's vectors as they are now, read as little as the cache allows. */
  async read(table: TableHandle, scope: MemoryScope): Promise<VectorRead> {
    const partition = key.memoryPartition(scope);
    const cacheKey = `${table.tableName}\u0000${partition}`;
    const cached = this.scopes.get(cacheKey);
    if (cached === undefined) return this.keep(cacheKey, await readWhole(table, partition), 'full');
    const { Item } = await table.documents.send(new GetCommand({ TableName: table.tableName, Key: key.memoryVersion(scope), ConsistentRead: true }));
    const state = versionState(Item);
    if (cached.epoch !== state.epoch || cached.version > state.version) return this.keep(cacheKey, await readWhole(table, partition), 'full');
    if (cached.version === state.version) return this.keep(cacheKey, { ...state, vectors: cached.vectors }, 'cached');
    // A write that left no audit entry (an import) leaves lastChange as it was: read it all.
    const changed = state.lastChange === cached.lastChange ? undefined : await changedIds(table, partition, cached.lastChange);
    if (changed === undefined) return this.keep(cacheKey, await readWhole(table, partition), 'full');
    const vectors = new Map(cached.vectors);
    for (const [id, item] of await readVectorItems(table, scope, changed)) {
      if (item === undefined) vectors.delete(id);
      else vectors.set(id, vectorFromItem(item));
    }
    return this.keep(cacheKey, { ...state, vectors }, 'delta');
  }

  private keep(cacheKey: string, scope: CachedScope, read: VectorRead['read']): VectorRead {
    this.scopes.delete(cacheKey);
    this.scopes.set(cacheKey, scope);
    if (this.scopes.size > maxScopes) this.scopes.delete(this.scopes.keys().next().value!);
    return { vectors: [...scope.vectors.values()], read, version: { epoch: scope.epoch, version: scope.version } };
  }
}

/**
 * The version item and every vector item in one Query: `MEMVERSION` sorts after every `MEMVEC#`, so
 * read newest key first it comes before them, and the vectors are read after the version they are
 * kept under (never older than it: a write in between only makes the next recall read its change
 * again). One round trip fewer than reading the version first.
 */
async function readWhole(table: TableHandle, partition: string): Promise<CachedScope> {
  const vectors = new Map<string, ScopeVector>();
  let state = versionState(undefined);
  const pages = queryPages(table.documents, {
    TableName: table.tableName,
    KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
    ExpressionAttributeNames: { '#pk': attribute.partitionKey, '#sk': attribute.sortKey },
    ExpressionAttributeValues: { ':pk': partition, ':prefix': prefix.memoryVectorsAndVersion },
    ScanIndexForward: false,
    ConsistentRead: true,
  });
  for await (const page of pages) {
    for (const item of page.Items ?? []) {
      if (item['kind'] === 'memory-version') state = versionState(item);
      else vectors.set(String(item['id']), vectorFromItem(item));
    }
  }
  return { ...state, vectors };
}

/** The ids the audit entries since `lastChange` name; undefined when there are too many. */
async function changedIds(table: TableHandle, partition: string, lastChange: string): Promise<Set<string> | undefined> {
  const since = lastChange === '' ? '' : ulidBounds(Math.max(0, decodeTime(lastChange) - logOverlapMs)).lowest;
  const ids = new Set<string>();
  const pages = queryPages(table.documents, {
    TableName: table.tableName,
    KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
    ProjectionExpression: 'recordId',
    ExpressionAttributeNames: { '#pk': attribute.partitionKey, '#sk': attribute.sortKey },
    ExpressionAttributeValues: { ':pk': partition, ':from': prefix.memoryChange + since, ':to': `${prefix.memoryChange}~` },
    ConsistentRead: true,
  });
  for await (const page of pages) {
    for (const item of page.Items ?? []) ids.add(String(item['recordId']));
    if (ids.size > maxDelta) return undefined;
  }
  return ids;
}

/** The vector items of `ids` (undefined for those that no longer exist). */
async function readVectorItems(table: TableHandle, scope: MemoryScope, ids: Set<string>): Promise<Map<string, Item | undefined>> {
  const found = new Map<string, Item | undefined>([...ids].map((id) => [id, undefined]));
  const items = await batchGet(table.documents, table.tableName, [...ids].map((id) => key.memoryVector(scope, id)), { consistent: true });
  for (const item of items) found.set(String(item['id']), item);
  return found;
}
