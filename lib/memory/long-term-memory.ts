/**
 * Long-term memory records: what a flow remembers (a fact, a preference, an event) and recalls by
 * meaning later, in a user's scope, a session's, or a named namespace (table-layout.ts). No
 * Node-RED in here; requests are typed by ../schemas/memory-request (use its `parse…` functions on
 * input you do not control).
 *
 * Every change is one transaction: the record, its vector item, its audit entry (ADD, UPDATE,
 * DELETE, as preferences keep theirs) and the scope's version bump, with the scope's access check
 * as a condition, so there is never a record without its vector or its audit entry, and every
 * process's cache of the scope's vectors learns of it (memory-vectors.ts). An update or forget
 * reads the record and writes with a condition on the version it read; when another writer was
 * quicker, it reads again and retries.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { MemoryInputError } from '../errors/input-errors';
import type {
  ListMemoryRequest,
  MemoryHistoryRequest,
  MemoryIdRequest,
  NewMemory,
  RecallRequest,
  RememberRequest,
  UpdateMemoryRequest,
} from '../schemas/memory-request';
import { batchGet } from './batch-get';
import { builtInEmbedder, builtInEmbedding, parseEmbedding, type Embedding } from './embedding';
import { iso } from './instants';
import {
  changeFromItem,
  changeItem,
  embedderFromKey,
  recordFromItem,
  recordItem,
  scopeName,
  storedVector,
  vectorItem,
  versionBump,
  type MemoryChange,
  type MemoryRecord,
  type RecordContent,
} from './memory-items';
import { recall, type RecallResult, type ScoredMemory, type VectorIndexSearch } from './memory-recall';
import { decide, mergedFields } from './memory-tidy';
import { guardedTransaction, guardRefusal, memoryScope, readScope, writeGuard, type ScopeRequest, type WriteGuard } from './memory-scope';
import { ScopeVectorCache, type ScopeVersion } from './memory-vectors';
import { nextItemUlid } from './message-ids';
import { pageCursor, queryPages } from './query-pages';
import { addedRecord, assertFits, supersededRecord, type WriteContext } from './record-writes';
import { backoff, maxRetries } from './retry';
import type { TableHandle } from './table-handle';
import { attribute, key, prefix, type MemoryScope } from './table-layout';
import { transactionCancellation } from './transaction-cancellation';
import { isLive } from './ttl-filter';
import { updateExpression } from './update-expression';
import type { VectorIndexWatch } from './vector-index-state';
import { searchVectors } from './vector-search';

export type { MemoryChange, MemoryRecord } from './memory-items';
export type { RecallResult, ScoredMemory } from './memory-recall';

type Item = Record<string, unknown>;

export const defaultImportance = 5;
const defaultListLimit = 20;
/** Records per remember transaction: 3 items each, the version bump and the access check (100 at most). */
const recordsPerTransaction = 32;
/** How many of the most similar records a tidy remember weighs. */
const similarCandidates = 5;

/**
 * A record as remember hands it back. With mergeAbove or contradictionAbove set: `outcome` (added,
 * or merged into the record it is, `similarity` how near it was), and `contradicts`, the ids of the
 * records an added one may contradict; with onContradiction 'supersede', `supersedes`, the same ids,
 * ended in the transaction that added it.
 */
export type RememberedRecord = MemoryRecord & { outcome?: 'added' | 'merged'; similarity?: number; contradicts?: string[]; supersedes?: string[] };

export interface MemoryPage<T> {
  items: T[];
  /** Pass on as `cursor` for the next page; absent on the last. */
  cursor?: string;
}

export class LongTermMemory {
  private readonly vectors = new ScopeVectorCache();

  /** `index` says whether the table has the pack's vector index (shared with import). */
  constructor(
    private readonly table: TableHandle,
    private readonly index: VectorIndexWatch,
  ) {}

  /**
   * Remembers each record (one transaction per 32), each with an ADD audit entry. With `mergeAbove`
   * or `contradictionAbove` (memory-tidy.ts), one record at a time: a near-duplicate of a valid
   * record merges into it, a possible contradiction is added and names the records it may contradict
   * (and, with `onContradiction: 'supersede'`, ends them in the same transaction).
   */
  async remember(request: RememberRequest): Promise<RememberedRecord[]> {
    return (await this.rememberForReview(request)).records;
  }

  /** remember, and the records the remembered ones may contradict (each once), for review. */
  async rememberForReview(request: RememberRequest): Promise<{ records: RememberedRecord[]; contradicted: ScoredMemory[] }> {
    // Every vector first: a bad one writes nothing.
    const records = request.records.map((record, index) => ({
      record,
      embedding: embeddingOf(record.embedding, `records[${index}].embedding`, request.embedder, record.text),
    }));
    if (request.mergeAbove === undefined && request.contradictionAbove === undefined) return { records: await this.add(request, records), contradicted: [] };
    const remembered: RememberedRecord[] = [];
    const contradicted = new Map<string, ScoredMemory>();
    // One at a time, so a record of the array can merge into one before it.
    for (const { record, embedding } of records) {
      const tidied = await this.rememberTidily(request, record, embedding);
      remembered.push(tidied.record);
      for (const memory of tidied.contradicted) contradicted.set(memory.id, memory);
    }
    return { records: remembered, contradicted: [...contradicted.values()] };
  }

  /** Adds records as they are, with an ADD audit entry each, 32 to a transaction. */
  private async add(request: RememberRequest, records: Array<{ record: NewMemory; embedding: Embedding }>): Promise<MemoryRecord[]> {
    const scope = memoryScope(request);
    const { guard, nowMs, context } = await this.writeSetup(request);
    const prepared = records.map(({ record, embedding }) => ({ id: nextItemUlid(nowMs), content: this.content(record, guard, nowMs, embedding) }));
    const written: MemoryRecord[] = [];
    for (let start = 0; start < prepared.length; start += recordsPerTransaction) {
      const writes = prepared.slice(start, start + recordsPerTransaction).map(({ id, content }) => addedRecord(scope, id, content, context));
      await this.transact(request, [
        ...(guard.check ? [guard.check] : []),
        ...writes.flatMap((write) => write.actions),
        versionBump(this.table.tableName, scope, writes[writes.length - 1]!.changeUlid),
      ]);
      written.push(...writes.map((write) => write.record));
    }
    return written;
  }

  /**
   * One record of a tidy remember: merged into the most similar valid record when near enough, else
   * added (naming what it may contradict). A merge that lost a race with another writer of that
   * record looks again, so two remembers of one text never add two copies of a record that exists.
   */
  private async rememberTidily(
    request: RememberRequest,
    record: NewMemory,
    embedding: Embedding,
  ): Promise<{ record: RememberedRecord; contradicted: ScoredMemory[] }> {
    const scope = memoryScope(request);
    for (let attempt = 0; ; attempt++) {
      const { memories: similar, version } = await this.similar(request, scope, record, embedding);
      const decision = decide(similar, record, request);
      if ('merge' in decision) {
        const { score: _score, similarity, ...into } = decision.merge;
        const merged = await this.merge(request, scope, into, record, attempt);
        if (merged) return { record: { ...merged, outcome: 'merged', similarity }, contradicted: [] };
        continue;
      }
      const ids = decision.contradicts.map((memory) => memory.id);
      if (request.onContradiction === 'supersede' && ids.length > 0) {
        const superseding = await this.addSuperseding(request, scope, record, embedding, decision.contradicts, attempt);
        if (superseding) return { record: { ...superseding.record, outcome: 'added', contradicts: ids, supersedes: ids }, contradicted: superseding.ended };
        continue;
      }
      const added = await this.addIfUnchanged(request, scope, record, embedding, version, attempt);
      if (added) return { record: { ...added, outcome: 'added', ...(ids.length > 0 ? { contradicts: ids } : {}) }, contradicted: decision.contradicts };
    }
  }

  /** What a write of new records needs: the scope's access check, when it is, and the index's dimension. */
  private async writeSetup(request: RememberRequest): Promise<{ guard: WriteGuard; nowMs: number; context: WriteContext }> {
    const [guard, index] = await Promise.all([writeGuard(this.table, request), this.index.state()]);
    const nowMs = this.table.now();
    return { guard, nowMs, context: { tableName: this.table.tableName, nowMs, at: iso(nowMs), indexDimension: index?.dimension } };
  }

  /**
   * One record added on the condition that the scope's version is still the one its decision read:
   * two remembers of one text into a scope that has neither both decide to add, and the second to
   * commit fails here and decides again (merging into the first). Undefined when the scope changed.
   */
  private async addIfUnchanged(request: RememberRequest, scope: MemoryScope, record: NewMemory, embedding: Embedding, version: ScopeVersion, attempt: number): Promise<MemoryRecord | undefined> {
    const { guard, nowMs, context } = await this.writeSetup(request);
    const added = addedRecord(scope, nextItemUlid(nowMs), this.content(record, guard, nowMs, embedding), context);
    const applied = await this.transactOnVersion(request, guard, attempt, [...added.actions, versionBump(this.table.tableName, scope, added.changeUlid, version)]);
    return applied ? added.record : undefined;
  }

  /**
   * A record added and the records it contradicts ended (validTo: its validFrom, else now), in one
   * transaction: a failure writes neither. The new record names them in `metadata.supersedes`, as
   * extraction's UPDATE does (one id; an array when it ends several). Undefined when another writer
   * changed or ended one of them since the decision: the caller decides again.
   */
  private async addSuperseding(
    request: RememberRequest,
    scope: MemoryScope,
    record: NewMemory,
    embedding: Embedding,
    contradicted: ScoredMemory[],
    attempt: number,
  ): Promise<{ record: MemoryRecord; ended: ScoredMemory[] } | undefined> {
    const [{ guard, nowMs, context }, items] = await Promise.all([
      this.writeSetup(request),
      batchGet(this.table.documents, this.table.tableName, contradicted.map((memory) => key.memory(scope, memory.id)), { consistent: true }),
    ]);
    const read = new Map(items.map((item) => [String(item['id']), item]));
    // Forgotten since the decision (the next one no longer finds it).
    if (contradicted.some((memory) => !read.has(memory.id))) return undefined;
    const content = this.content(record, guard, nowMs, embedding);
    const ids = contradicted.map((memory) => memory.id);
    const ended = contradicted.map((memory) =>
      // On the version the decision saw: a record changed since fails the transaction.
      supersededRecord(scope, { ...read.get(memory.id)!, version: memory.version }, { action: 'UPDATE', newText: record.text, validTo: content.validFrom ?? context.at }, context),
    );
    const added = addedRecord(scope, nextItemUlid(nowMs), { ...content, metadata: { ...content.metadata, supersedes: ids.length === 1 ? ids[0] : ids } }, context);
    const applied = await this.transactOnVersion(request, guard, attempt, [
      ...ended.flatMap((write) => write.actions),
      ...added.actions,
      versionBump(this.table.tableName, scope, added.changeUlid),
    ]);
    if (!applied) return undefined;
    return { record: added.record, ended: ended.map((write, i) => ({ ...contradicted[i]!, ...write.record })) };
  }

  /**
   * The valid records of the scope most similar to a text, by recall's own scoring with similarity
   * alone, on the exact path (strongly consistent, unlike a vector index), counting no access.
   * Records of other embedders are never candidates.
   */
  private async similar(request: RememberRequest, scope: MemoryScope, record: NewMemory, embedding: Embedding): Promise<{ memories: ScoredMemory[]; version: ScopeVersion }> {
    const lowest = Math.min(request.mergeAbove ?? 1, request.contradictionAbove ?? 1);
    // The scope is memoryScope's; recall reads only the request's filters and weights.
    const lookUp: RecallRequest = {
      scope: request.scope,
      query: record.text,
      k: similarCandidates,
      minScore: lowest,
      weights: { similarity: 1, recency: 0, importance: 0 },
      ...(record.kind !== undefined ? { kind: record.kind } : {}),
    };
    // Read here, so the decision's version is known: recall scores exactly these vectors.
    const read = await this.vectors.read(this.table, scope);
    try {
      const { memories } = await recall({ ...this.table, vectors: { read: async () => read } }, scope, lookUp, embedding, { countAccess: false });
      return { memories, version: read.version };
    } catch (error) {
      // The scope holds vectors of other embedders only: nothing to merge with.
      if (error instanceof MemoryInputError && error.text === 'input.embedder-mismatch') return { memories: [], version: read.version };
      throw error;
    }
  }

  /** A merge's transaction (memory-tidy.ts says what it sets): the record, undefined when another writer was quicker. */
  private async merge(request: RememberRequest, scope: MemoryScope, into: MemoryRecord, record: NewMemory, attempt: number): Promise<MemoryRecord | undefined> {
    const guard = await writeGuard(this.table, request);
    const nowMs = this.table.now();
    const at = iso(nowMs);
    const fields = mergedFields(into, record);
    const version = into.version + 1;
    const scored = {
      importance: fields.importance,
      updatedAt: at,
      ...(Object.keys(fields.metadata).length > 0 ? { metadata: fields.metadata } : {}),
    };
    const recordUpdate = updateExpression({
      set: { ...scored, ...(fields.sourceMessageIds ? { sourceMessageIds: fields.sourceMessageIds } : {}), version },
      add: { accessCount: 1 },
    });
    const changeUlid = nextItemUlid(nowMs);
    const change: MemoryChange = { id: into.id, action: 'MERGE', oldText: into.text, newText: record.text, version, changedAt: at };
    const applied = await this.transactOnVersion(request, guard, attempt, [
      {
        Update: {
          TableName: this.table.tableName,
          Key: key.memory(scope, into.id),
          ...recordUpdate,
          ConditionExpression: '#version = :version',
          ExpressionAttributeNames: { ...recordUpdate.ExpressionAttributeNames, '#version': 'version' },
          ExpressionAttributeValues: { ...recordUpdate.ExpressionAttributeValues, ':version': into.version },
        },
      },
      { Update: { TableName: this.table.tableName, Key: key.memoryVector(scope, into.id), ...updateExpression({ set: scored }) } },
      { Put: { TableName: this.table.tableName, Item: changeItem(scope, changeUlid, change) } },
      versionBump(this.table.tableName, scope, changeUlid),
    ]);
    if (!applied) return undefined;
    return { ...into, ...fields, updatedAt: at, accessCount: into.accessCount + 1, version };
  }

  /** One record, or a MemoryInputError when the scope has none of that id. */
  async get(request: MemoryIdRequest): Promise<MemoryRecord> {
    const scope = memoryScope(request);
    const item = await readScope(this.table, request, () => this.readRecord(scope, request.id));
    return recordFromItem(item, scopeName(scope));
  }

  /**
   * Changes a record's text, kind, importance, metadata or validity, with an UPDATE audit entry
   * (old and new text). A new text gets a new vector: the built-in one's, or `embedding` (required
   * for a record whose vector came from another embedder).
   */
  async update(request: UpdateMemoryRequest): Promise<MemoryRecord> {
    const scope = memoryScope(request);
    for (let attempt = 0; ; attempt++) {
      const [current, guard, index] = await Promise.all([this.readRecord(scope, request.id), writeGuard(this.table, request), this.index.state()]);
      const nowMs = this.table.now();
      const at = iso(nowMs);
      const stored = recordFromItem(current, scopeName(scope));
      const text = request.text ?? stored.text;
      const content = this.content(
        {
          text,
          ...(request.kind ?? stored.kind ? { kind: request.kind ?? stored.kind! } : {}),
          importance: request.importance ?? stored.importance,
          metadata: (request.metadata as Record<string, unknown> | undefined) ?? stored.metadata,
          ...(stored.sourceMessageIds ? { sourceMessageIds: stored.sourceMessageIds } : {}),
          ...(request.validFrom ?? stored.validFrom ? { validFrom: request.validFrom ?? stored.validFrom! } : {}),
          ...(request.validTo ?? stored.validTo ? { validTo: request.validTo ?? stored.validTo! } : {}),
        },
        guard,
        nowMs,
        this.updatedEmbedding(request, current, stored, text),
        current[attribute.expiresAt] as number | undefined,
      );
      const version = stored.version + 1;
      const record = recordItem(scope, stored.id, content, { createdAt: stored.createdAt, updatedAt: at }, {
        accessCount: stored.accessCount,
        ...(stored.lastAccessedAt ? { lastAccessedAt: stored.lastAccessedAt } : {}),
        version,
      }, index?.dimension);
      assertFits(record);
      const changeUlid = nextItemUlid(nowMs);
      const change: MemoryChange = { id: stored.id, action: 'UPDATE', oldText: stored.text, newText: text, version, changedAt: at };
      const applied = await this.transactOnVersion(request, guard, attempt, [
        { Put: { TableName: this.table.tableName, Item: record, ...onVersion(stored.version) } },
        { Put: { TableName: this.table.tableName, Item: vectorItem(scope, stored.id, content, at) } },
        { Put: { TableName: this.table.tableName, Item: changeItem(scope, changeUlid, change) } },
        versionBump(this.table.tableName, scope, changeUlid),
      ]);
      if (applied) return recordFromItem(record, scopeName(scope));
    }
  }

  /** Deletes a record and its vector, with a DELETE audit entry keeping its last text. */
  async forget(request: MemoryIdRequest): Promise<MemoryRecord> {
    const scope = memoryScope(request);
    for (let attempt = 0; ; attempt++) {
      const [current, guard] = await Promise.all([this.readRecord(scope, request.id), writeGuard(this.table, request)]);
      const stored = recordFromItem(current, scopeName(scope));
      const nowMs = this.table.now();
      const changeUlid = nextItemUlid(nowMs);
      const change: MemoryChange = { id: stored.id, action: 'DELETE', oldText: stored.text, version: stored.version + 1, changedAt: iso(nowMs) };
      const applied = await this.transactOnVersion(request, guard, attempt, [
        { Delete: { TableName: this.table.tableName, Key: key.memory(scope, stored.id), ...onVersion(stored.version) } },
        { Delete: { TableName: this.table.tableName, Key: key.memoryVector(scope, stored.id) } },
        { Put: { TableName: this.table.tableName, Item: changeItem(scope, changeUlid, change) } },
        versionBump(this.table.tableName, scope, changeUlid),
      ]);
      if (applied) return stored;
    }
  }

  /** The scope's records, newest first, a page at a time (expired ones left out). */
  async list(request: ListMemoryRequest): Promise<MemoryPage<MemoryRecord>> {
    const scope = memoryScope(request);
    const nowMs = this.table.now();
    return readScope(this.table, request, () =>
      this.page(scope, prefix.memory, request, (item) => (isLive(item, nowMs) ? recordFromItem(item, scopeName(scope)) : undefined)),
    );
  }

  /** The scope's audit entries, newest first; of one record when `id` is given. */
  history(request: MemoryHistoryRequest): Promise<MemoryPage<MemoryChange>> {
    const scope = memoryScope(request);
    return readScope(this.table, request, () =>
      this.page(scope, prefix.memoryChange, request, (item) => (request.id === undefined || item['recordId'] === request.id ? changeFromItem(item) : undefined)),
    );
  }

  /** The records most relevant to the query (memory-recall.ts says how they are scored). */
  async recall(request: RecallRequest): Promise<RecallResult> {
    const scope = memoryScope(request);
    const query = embeddingOf(request.embedding, 'embedding', request.embedder, request.query);
    // Asked beside the scope's access check, not after it (a round trip once per 5 minutes).
    const indexState = this.searchDenied ? Promise.resolve(undefined) : this.index.state();
    return readScope(this.table, request, async () => {
      const index = await indexState;
      const exact = { ...this.table, vectors: this.vectors };
      if (!index?.ready) return recall(exact, scope, request, query);
      try {
        return await recall({ ...exact, vectorIndex: { dimension: index.dimension, search: this.searchIndex } }, scope, request, query);
      } catch (error) {
        // A tenant's policy may not grant SearchVectors (LeadingKeys cannot fence it: docs/aws.md).
        if ((error as Error).name !== 'AccessDeniedException') throw error;
        this.searchDenied = true;
        return recall(exact, scope, request, query);
      }
    });
  }

  /** Set once SearchVectors was refused: this process recalls by the exact path from then on. */
  private searchDenied = false;

  private readonly searchIndex: VectorIndexSearch = async ({ partition, embedder, vector, topK }) => {
    // The document client sends the low-level client's commands as they are.
    const client = this.table.documents as unknown as DynamoDBClient;
    const { hits } = await searchVectors(client, this.table.tableName, { scopePartition: partition, embedder, vector, topK });
    return hits.map((hit) => ({ id: hit.sk.slice(prefix.memory.length), similarity: hit.similarity }));
  };

  private content(record: NewMemory, guard: WriteGuard, nowMs: number, embedding: Embedding, keptExpiry?: number): RecordContent {
    const ownExpiry = record.ttlDays === undefined ? keptExpiry : Math.floor(nowMs / 1000 + record.ttlDays * 86400);
    const expiresAt = guard.expiresBy === undefined ? ownExpiry : Math.min(ownExpiry ?? Infinity, guard.expiresBy);
    return {
      text: record.text,
      ...(record.kind !== undefined ? { kind: record.kind } : {}),
      importance: record.importance ?? defaultImportance,
      metadata: (record.metadata as Record<string, unknown> | undefined) ?? {},
      ...(record.sourceMessageIds !== undefined ? { sourceMessageIds: record.sourceMessageIds } : {}),
      ...(record.validFrom !== undefined ? { validFrom: iso(record.validFrom) } : {}),
      ...(record.validTo !== undefined ? { validTo: iso(record.validTo) } : {}),
      ...(expiresAt !== undefined ? { expiresAt } : {}),
      embedding,
    };
  }

  /** The vector an update stores: the one given, the built-in one of a new text, or the stored one. */
  private updatedEmbedding(request: UpdateMemoryRequest, current: Item, stored: MemoryRecord, text: string): Embedding {
    if (request.embedding !== undefined) return embeddingOf(request.embedding, 'embedding', request.embedder, text);
    if (text === stored.text) return { ...embedderFromKey(current['embedder']), vector: storedVector(current) };
    if (stored.embedder === builtInEmbedder.embedder && stored.dimension === builtInEmbedder.dimension) return builtInEmbedding(text);
    throw new MemoryInputError('input.memory-embedding-needed', { id: stored.id, embedder: stored.embedder });
  }

  private async readRecord(scope: MemoryScope, id: string): Promise<Item> {
    const { Item } = await this.table.documents.send(new GetCommand({ TableName: this.table.tableName, Key: key.memory(scope, id), ConsistentRead: true }));
    if (Item === undefined || !isLive(Item, this.table.now())) throw new MemoryInputError('input.memory-missing', { id });
    return Item;
  }

  /** A remember's transaction, retried while DynamoDB cancels it for transient reasons. */
  private async transact(request: ScopeRequest, items: Item[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.table.documents.send(new TransactWriteCommand({ TransactItems: items as never }));
        return;
      } catch (error) {
        const cancelled = transactionCancellation(error);
        if (cancelled?.codes[0] === 'ConditionalCheckFailed' && items[0]?.['ConditionCheck']) throw guardRefusal(request);
        if (!cancelled?.transient || attempt >= maxRetries) throw error;
        await backoff(attempt);
      }
    }
  }

  /**
   * An update's or forget's transaction: true when applied, false when another writer changed the
   * record since it was read (read again and retry).
   */
  private async transactOnVersion(request: ScopeRequest, guard: WriteGuard, attempt: number, items: Item[]): Promise<boolean> {
    const applied = await guardedTransaction(this.table, request, guard, items, attempt, maxRetries);
    if (!applied) await backoff(attempt);
    return applied;
  }

  private async page<T>(
    scope: MemoryScope,
    sortPrefix: string,
    request: { limit?: number; cursor?: string },
    map: (item: Item) => T | undefined,
  ): Promise<MemoryPage<T>> {
    const limit = request.limit ?? defaultListLimit;
    const partition = key.memoryPartition(scope);
    const variable = [attribute.sortKey];
    const items: T[] = [];
    let lastKey: Item | undefined;
    const pages = queryPages(this.table.documents, {
      TableName: this.table.tableName,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': attribute.partitionKey, '#sk': attribute.sortKey },
      ExpressionAttributeValues: { ':pk': partition, ':prefix': sortPrefix },
      ScanIndexForward: false,
      ConsistentRead: true,
      // One more than a page: whether there is a next page, so the last one carries no cursor.
      Limit: limit + 1,
      ...(request.cursor === undefined ? {} : { ExclusiveStartKey: pageCursor.decode(request.cursor, { [attribute.partitionKey]: partition }, variable) }),
    });
    let more = false;
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        if (items.length === limit) {
          more = true;
          break;
        }
        const mapped = map(item);
        lastKey = item;
        if (mapped !== undefined) items.push(mapped);
      }
      if (items.length === limit) {
        more = more || page.LastEvaluatedKey !== undefined;
        break;
      }
    }
    return { items, ...(more && lastKey ? { cursor: pageCursor.encode(lastKey, variable) } : {}) };
  }
}

/** The vector of a text: the flow's (`msg.embedding`) when given, else the built-in one. */
function embeddingOf(given: unknown[] | undefined, field: string, embedder: string | undefined, text: string): Embedding {
  return given === undefined ? builtInEmbedding(text) : parseEmbedding(given, field, embedder);
}

function onVersion(version: number) {
  return { ConditionExpression: '#version = :version', ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':version': version } };
}
