/**
 * Working memory: a scratchpad for multi-step reasoning in a session's scope or a named
 * namespace's, with a capacity, an eviction policy, a TTL and an ordered reasoning chain. No
 * Node-RED in here; requests are typed by ../schemas/working-request (use its `parse…` functions on
 * input you do not control). Keys: table-layout.ts (`WM#`, `WMSTEP#`, `WMCOUNT`).
 *
 * Capacity holds exactly, whatever the concurrency, because the scope's counter item is written in
 * the same transaction as every entry that comes or goes:
 *
 * - An add first tries the plain way: put the entry and add 1 to the counter on the condition that
 *   it is below the capacity. Two adds at once are serialised by DynamoDB on the counter, so the
 *   last free place goes to exactly one of them.
 * - An add that finds the scope full reads its entries and chooses what goes: expired entries
 *   first (DynamoDB's TTL deletes them late), then, by the policy, as many live entries as needed
 *   to make room, the new entry counted among the candidates (an entry less important than every
 *   entry kept, or older than them, is not stored: the result says so). One transaction deletes
 *   them, each on the condition that it still exists (and, for LRU, that nobody used it since it
 *   was read), puts the new entry, and adds to the counter what it deleted and put (never more
 *   than 0 then). Two adds that chose the same victim: one transaction is cancelled, and that add
 *   reads again and chooses again (reading the counter first, a consistent GetItem, rather than
 *   trying the plain way again: the scope is most likely still full).
 * - DynamoDB's TTL deletes expired entries without telling the counter, so it can count more
 *   entries than there are. A full add that reads another number of entries than the counter said
 *   sets the counter to what it read, on the condition that the counter's version (which every
 *   write of it bumps) is still the one it read before, and starts again.
 *
 * Reasoning steps are items of their own, ordered by a ULID made when the append is called (one
 * process's ULIDs are monotonic), so each writer's steps read back in the order it appended them.
 */
import { GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { MemoryInputError } from '../errors/input-errors';
import type { AddStepRequest, AddWorkingRequest, EvictionPolicy, ListWorkingRequest, WorkingIdRequest, WorkingScopeRequest } from '../schemas/working-request';
import { batchWrite } from './batch-write';
import { iso } from './instants';
import { defaultImportance } from './long-term-memory';
import { guardedTransaction, guardRefusal, memoryScope, readScope, writeGuard, type ScopeRequest, type WriteGuard } from './memory-scope';
import { nextItemUlid } from './message-ids';
import { queryPages } from './query-pages';
import { backoff, maxRetries } from './retry';
import type { TableHandle } from './table-handle';
import { attribute, key, prefix, type MemoryScope } from './table-layout';
import { transactionCancellation } from './transaction-cancellation';
import { isLive } from './ttl-filter';

type Item = Record<string, unknown>;

export interface WorkingEntry {
  id: string;
  scope: 'session' | 'named';
  text: string;
  /** 1 to 10. */
  importance: number;
  metadata: Record<string, unknown>;
  /** ISO 8601. */
  createdAt: string;
  /** When it was added or last read with `get` (what LRU goes by). */
  lastAccessedAt: string;
  /** How many times `get` read it. */
  accessCount: number;
  /** When it expires (ISO 8601); none: never (until evicted or cleared). */
  expiresAt?: string;
}

export interface ReasoningStep {
  id: string;
  text: string;
  metadata: Record<string, unknown>;
  createdAt: string;
  expiresAt?: string;
}

export interface AddWorkingResult {
  /** The entry as it was (or would have been) stored. */
  entry: WorkingEntry;
  /** False when the policy ranked the new entry below every entry kept: nothing was written for it. */
  stored: boolean;
  /** Live entries evicted to make room (the policy's choice). */
  evicted: WorkingEntry[];
  /** Expired entries deleted to make room (DynamoDB had not deleted them yet). */
  expiredRemoved: number;
}

export const defaultPolicy: EvictionPolicy = 'importance';
const defaultStepLimit = 1000;
/** Tries of one add before it gives up: 50 adds at once on one counter conflict often. */
const maxAttempts = 3 * maxRetries;
/** Deletes per eviction transaction (100 actions at most, with the put, the counter and the check). */
const deletesPerTransaction = 95;

const counterNames = { '#count': 'count', '#version': 'version', '#kind': 'kind' };

export class WorkingMemory {
  constructor(private readonly table: TableHandle) {}

  /**
   * Adds an entry; when the scope holds `capacity` entries, the policy's choice makes room first
   * (see the file's comment), atomically with the add.
   */
  async add(request: AddWorkingRequest): Promise<AddWorkingResult> {
    const scope = memoryScope(request);
    const policy = request.policy ?? defaultPolicy;
    // Made before anything is awaited: one process's adds are ordered as they were called.
    const nowMs = this.table.now();
    const id = nextItemUlid(nowMs);
    const guard = await writeGuard(this.table, request);
    const ownExpiry = request.ttlSeconds === undefined ? undefined : Math.floor(nowMs / 1000) + request.ttlSeconds;
    const expiresAt = guard.expiresBy === undefined ? ownExpiry : Math.min(ownExpiry ?? Infinity, guard.expiresBy);
    const at = iso(nowMs);
    const item: Item = {
      ...key.workingEntry(scope, id),
      kind: 'working-entry',
      id,
      text: request.text,
      importance: request.importance ?? defaultImportance,
      ...(request.metadata !== undefined && Object.keys(request.metadata).length > 0 ? { metadata: request.metadata } : {}),
      createdAt: at,
      lastAccessedAt: at,
      lastUse: id,
      accessCount: 0,
      ...(expiresAt !== undefined ? { [attribute.expiresAt]: expiresAt } : {}),
    };
    const entry = entryFromItem(item);
    const put = { Put: { TableName: this.table.tableName, Item: item, ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': attribute.partitionKey } } };
    // After a lost eviction the scope is most likely still full: the next attempt reads the counter
    // (1 RRU) instead of paying for another cancelled transaction.
    let probablyFull = false;
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) await backoff(Math.min(attempt, maxRetries));
      const counter = probablyFull ? await this.readCounter(scope) : undefined;
      probablyFull = false;
      const full = counter !== undefined && counter.count >= request.capacity ? counter : await this.addIfRoom(request, scope, guard, put, request.capacity, attempt);
      if (full === undefined) return { entry, stored: true, evicted: [], expiredRemoved: 0 };
      if (full === 'retry') continue;
      const items = await this.entryItems(scope);
      if (items.length !== full.count) {
        // DynamoDB's TTL deleted entries (or a clear ran): count what is there, then try again.
        await this.recount(request, scope, guard, full.version, items.length, attempt);
        continue;
      }
      const readAt = this.table.now();
      const expired = items.filter((i) => !isLive(i, readAt));
      const live = items.filter((i) => isLive(i, readAt));
      const needed = live.length + 1 - request.capacity;
      const victims = needed > 0 ? [...live, item].sort(evictFirst(policy)).slice(0, needed) : [];
      const stored = !victims.includes(item);
      const deletes = [...expired, ...victims.filter((v) => v !== item)];
      if (deletes.length === 0) return { entry, stored, evicted: [], expiredRemoved: 0 };
      const batch = deletes.slice(0, deletesPerTransaction);
      const putting = stored && batch.length === deletes.length;
      const applied = await this.transact(request, guard, attempt, [
        ...batch.map((victim) => this.victimDelete(victim, policy)),
        ...(putting ? [put] : []),
        this.counterUpdate(scope, guard, (putting ? 1 : 0) - batch.length),
      ]);
      probablyFull = !applied;
      if (!applied || batch.length < deletes.length) continue;
      const expiredRemoved = batch.filter((i) => expired.includes(i)).length;
      return { entry, stored, evicted: batch.filter((i) => !expired.includes(i)).map(entryFromItem), expiredRemoved };
    }
  }

  /** An entry, read as a use (LRU keeps it longer); a MemoryInputError when the scope has no live entry of that id. */
  async get(request: WorkingIdRequest): Promise<WorkingEntry> {
    const scope = memoryScope(request);
    const nowMs = this.table.now();
    const use = nextItemUlid(nowMs);
    return readScope(this.table, request, async () => {
      try {
        const { Attributes } = await this.table.documents.send(
          new UpdateCommand({
            TableName: this.table.tableName,
            Key: key.workingEntry(scope, request.id),
            UpdateExpression: 'SET #lastUse = :use, #lastAccessedAt = :at ADD #accessCount :one',
            ConditionExpression: 'attribute_exists(#pk) AND (attribute_not_exists(#expiresAt) OR #expiresAt > :now)',
            ExpressionAttributeNames: {
              '#pk': attribute.partitionKey,
              '#expiresAt': attribute.expiresAt,
              '#lastUse': 'lastUse',
              '#lastAccessedAt': 'lastAccessedAt',
              '#accessCount': 'accessCount',
            },
            ExpressionAttributeValues: { ':use': use, ':at': iso(nowMs), ':one': 1, ':now': Math.floor(nowMs / 1000) },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return entryFromItem(Attributes!);
      } catch (error) {
        if ((error as Error).name === 'ConditionalCheckFailedException') throw new MemoryInputError('input.working-missing', { id: request.id });
        throw error;
      }
    });
  }

  /** Deletes one entry (its place is free again). */
  async remove(request: WorkingIdRequest): Promise<WorkingEntry> {
    const scope = memoryScope(request);
    const guard = await writeGuard(this.table, request);
    for (let attempt = 0; ; attempt++) {
      const { Item } = await this.table.documents.send(new GetCommand({ TableName: this.table.tableName, Key: key.workingEntry(scope, request.id), ConsistentRead: true }));
      if (Item === undefined) throw new MemoryInputError('input.working-missing', { id: request.id });
      const applied = await this.transact(request, guard, attempt, [
        { Delete: { TableName: this.table.tableName, Key: key.workingEntry(scope, request.id), ConditionExpression: 'attribute_exists(#pk)', ExpressionAttributeNames: { '#pk': attribute.partitionKey } } },
        this.counterUpdate(scope, guard, -1),
      ]);
      if (applied) return entryFromItem(Item);
      await backoff(attempt);
    }
  }

  /**
   * The scope's live entries: newest first, or in a policy's order (the entry it keeps longest
   * first, the next to go last).
   */
  async list(request: ListWorkingRequest): Promise<WorkingEntry[]> {
    const scope = memoryScope(request);
    const nowMs = this.table.now();
    const items = await readScope(this.table, request, () => this.entryItems(scope));
    const live = items.filter((i) => isLive(i, nowMs));
    const order = request.order ?? 'newest';
    const sorted = order === 'newest' ? live.reverse() : live.sort(evictFirst(order)).reverse();
    return sorted.slice(0, request.limit ?? sorted.length).map(entryFromItem);
  }

  /** Appends a step to the scope's reasoning chain. */
  async addStep(request: AddStepRequest): Promise<ReasoningStep> {
    const scope = memoryScope(request);
    // Made before anything is awaited, so one writer's steps keep the order it appended them in.
    const nowMs = this.table.now();
    const id = nextItemUlid(nowMs);
    const guard = await writeGuard(this.table, request);
    const ownExpiry = request.ttlSeconds === undefined ? undefined : Math.floor(nowMs / 1000) + request.ttlSeconds;
    const expiresAt = guard.expiresBy === undefined ? ownExpiry : Math.min(ownExpiry ?? Infinity, guard.expiresBy);
    const item: Item = {
      ...key.workingStep(scope, id),
      kind: 'working-step',
      id,
      text: request.text,
      ...(request.metadata !== undefined && Object.keys(request.metadata).length > 0 ? { metadata: request.metadata } : {}),
      createdAt: iso(nowMs),
      ...(expiresAt !== undefined ? { [attribute.expiresAt]: expiresAt } : {}),
    };
    if (guard.check === undefined) {
      await this.table.documents.send(new PutCommand({ TableName: this.table.tableName, Item: item }));
    } else {
      for (let attempt = 0; !(await this.transact(request, guard, attempt, [{ Put: { TableName: this.table.tableName, Item: item } }])); attempt++) await backoff(attempt);
    }
    return stepFromItem(item);
  }

  /** The reasoning chain, in the order its steps were appended (expired steps left out). */
  async steps(request: WorkingScopeRequest): Promise<ReasoningStep[]> {
    const scope = memoryScope(request);
    const nowMs = this.table.now();
    const limit = request.limit ?? defaultStepLimit;
    return readScope(this.table, request, async () => {
      const steps: ReasoningStep[] = [];
      for await (const page of this.scopeQuery(scope, prefix.workingStep)) {
        for (const item of page.Items ?? []) if (isLive(item, nowMs) && steps.length < limit) steps.push(stepFromItem(item));
        if (steps.length === limit) break;
      }
      return steps;
    });
  }

  /**
   * Deletes the scope's entries, steps and counter. An add running at the same time may outlive
   * the clear; the next add that finds the scope full counts again (see the file's comment).
   */
  async clear(request: WorkingScopeRequest): Promise<{ entries: number; steps: number }> {
    const scope = memoryScope(request);
    await writeGuard(this.table, request);
    const keys: Item[] = [];
    const counts = { entries: 0, steps: 0 };
    for await (const page of this.scopeQuery(scope, prefix.working, true)) {
      for (const item of page.Items ?? []) {
        keys.push({ [attribute.partitionKey]: item[attribute.partitionKey], [attribute.sortKey]: item[attribute.sortKey] });
        if (item['kind'] === 'working-entry') counts.entries++;
        if (item['kind'] === 'working-step') counts.steps++;
      }
    }
    await batchWrite(this.table.documents, this.table.tableName, keys.map((Key) => ({ DeleteRequest: { Key } })));
    return counts;
  }

  /**
   * The plain add: the entry and the counter's +1 below the capacity. Undefined when done; the
   * counter as it was when the scope was full; 'retry' after a transient cancellation.
   */
  private async addIfRoom(request: ScopeRequest, scope: MemoryScope, guard: WriteGuard, put: Item, capacity: number, attempt: number): Promise<{ count: number; version: number } | 'retry' | undefined> {
    const counter = this.counterUpdate(scope, guard, 1);
    const update = counter.Update as Item;
    update['ConditionExpression'] = 'attribute_not_exists(#count) OR #count < :capacity';
    update['ExpressionAttributeValues'] = { ...(update['ExpressionAttributeValues'] as Item), ':capacity': capacity };
    update['ReturnValuesOnConditionCheckFailure'] = 'ALL_OLD';
    const all = [...(guard.check ? [guard.check] : []), counter, put];
    try {
      await this.table.documents.send(new TransactWriteCommand({ TransactItems: all as never }));
      return undefined;
    } catch (error) {
      const cancelled = transactionCancellation(error);
      if (!cancelled) throw error;
      if (guard.check && cancelled.codes[0] === 'ConditionalCheckFailed') throw guardRefusal(request);
      const counterReason = cancelled.reasons[guard.check ? 1 : 0];
      if (counterReason?.code === 'ConditionalCheckFailed') {
        const old = counterReason.oldItem;
        if (old?.['count']?.N !== undefined && old['version']?.N !== undefined) return { count: Number(old['count'].N), version: Number(old['version'].N) };
        return this.readCounter(scope);
      }
      if (!cancelled.transient || attempt >= maxAttempts) throw error;
      return 'retry';
    }
  }

  private async readCounter(scope: MemoryScope): Promise<{ count: number; version: number }> {
    const { Item } = await this.table.documents.send(new GetCommand({ TableName: this.table.tableName, Key: key.workingCount(scope), ConsistentRead: true }));
    return { count: Number(Item?.['count'] ?? 0), version: Number(Item?.['version'] ?? 0) };
  }

  /** Sets the counter to the entries there are, if nothing wrote it since `version` was read. */
  private async recount(request: ScopeRequest, scope: MemoryScope, guard: WriteGuard, version: number, count: number, attempt: number): Promise<void> {
    await this.transact(request, guard, attempt, [
      {
        Update: {
          TableName: this.table.tableName,
          Key: key.workingCount(scope),
          UpdateExpression: 'SET #count = :count, #kind = :kind ADD #version :one',
          ConditionExpression: '#version = :version',
          ExpressionAttributeNames: counterNames,
          ExpressionAttributeValues: { ':count': count, ':kind': 'working-count', ':one': 1, ':version': version },
        },
      },
    ]);
  }

  private counterUpdate(scope: MemoryScope, guard: WriteGuard, delta: number): { Update: Item } {
    return workingCounterUpdate(this.table.tableName, scope, guard.expiresBy, delta);
  }

  /** A victim's delete: only while it exists, and for LRU only while nobody used it since it was read. */
  private victimDelete(victim: Item, policy: EvictionPolicy): Item {
    const lru = policy === 'lru';
    return {
      Delete: {
        TableName: this.table.tableName,
        Key: { [attribute.partitionKey]: victim[attribute.partitionKey], [attribute.sortKey]: victim[attribute.sortKey] },
        ConditionExpression: `attribute_exists(#pk)${lru ? ' AND #lastUse = :lastUse' : ''}`,
        ExpressionAttributeNames: { '#pk': attribute.partitionKey, ...(lru ? { '#lastUse': 'lastUse' } : {}) },
        ...(lru ? { ExpressionAttributeValues: { ':lastUse': victim['lastUse'] } } : {}),
      },
    };
  }

  /**
   * A transaction with the scope's access check first: true when applied, false when it was
   * cancelled by a condition (another writer was quicker) or a conflict; read again and retry.
   */
  private transact(request: ScopeRequest, guard: WriteGuard, attempt: number, items: Item[]): Promise<boolean> {
    return guardedTransaction(this.table, request, guard, items, attempt, maxAttempts);
  }

  /** Every entry item of the scope (expired ones included), oldest first. */
  private async entryItems(scope: MemoryScope): Promise<Item[]> {
    const items: Item[] = [];
    for await (const page of this.scopeQuery(scope, prefix.workingEntry)) items.push(...(page.Items ?? []));
    return items;
  }

  /** The scope's items whose sort keys begin with `sortPrefix`, in sort-key order; `keysOnly`: keys and kind. */
  private scopeQuery(scope: MemoryScope, sortPrefix: string, keysOnly = false) {
    return queryPages(this.table.documents, {
      TableName: this.table.tableName,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': attribute.partitionKey, '#sk': attribute.sortKey, ...(keysOnly ? { '#kind': 'kind' } : {}) },
      ExpressionAttributeValues: { ':pk': key.memoryPartition(scope), ':prefix': sortPrefix },
      ...(keysOnly ? { ProjectionExpression: '#pk, #sk, #kind' } : {}),
      ConsistentRead: true,
    });
  }
}

/**
 * The counter's change by `delta`, with a version bump; a session's counter expires with its
 * session's items (`expiresBy`). Also what an import writes with each entry it adds.
 */
export function workingCounterUpdate(tableName: string, scope: MemoryScope, expiresBy: number | undefined, delta: number): { Update: Item } {
  const expires = expiresBy !== undefined;
  return {
    Update: {
      TableName: tableName,
      Key: key.workingCount(scope),
      UpdateExpression: `ADD #count :delta, #version :one SET #kind = :kind${expires ? ', #expiresAt = :expiresAt' : ''}`,
      ExpressionAttributeNames: { ...counterNames, ...(expires ? { '#expiresAt': attribute.expiresAt } : {}) },
      ExpressionAttributeValues: { ':delta': delta, ':one': 1, ':kind': 'working-count', ...(expires ? { ':expiresAt': expiresBy } : {}) },
    },
  };
}

/** The order a policy evicts in: the first goes first. Ties go to the older entry. */
export function evictFirst(policy: EvictionPolicy): (a: Item, b: Item) => number {
  const byAge = (a: Item, b: Item) => (String(a['id']) < String(b['id']) ? -1 : String(a['id']) > String(b['id']) ? 1 : 0);
  if (policy === 'oldest') return byAge;
  if (policy === 'lru') return (a, b) => (String(a['lastUse']) < String(b['lastUse']) ? -1 : String(a['lastUse']) > String(b['lastUse']) ? 1 : byAge(a, b));
  return (a, b) => Number(a['importance']) - Number(b['importance']) || byAge(a, b);
}

function entryFromItem(item: Item): WorkingEntry {
  const expiresAt = item[attribute.expiresAt];
  return {
    id: String(item['id']),
    scope: String(item[attribute.partitionKey]).startsWith(prefix.session) ? 'session' : 'named',
    text: String(item['text']),
    importance: Number(item['importance']),
    metadata: (item['metadata'] as Record<string, unknown> | undefined) ?? {},
    createdAt: String(item['createdAt']),
    lastAccessedAt: String(item['lastAccessedAt']),
    accessCount: Number(item['accessCount'] ?? 0),
    ...(expiresAt !== undefined ? { expiresAt: new Date(Number(expiresAt) * 1000).toISOString() } : {}),
  };
}

function stepFromItem(item: Item): ReasoningStep {
  const expiresAt = item[attribute.expiresAt];
  return {
    id: String(item['id']),
    text: String(item['text']),
    metadata: (item['metadata'] as Record<string, unknown> | undefined) ?? {},
    createdAt: String(item['createdAt']),
    ...(expiresAt !== undefined ? { expiresAt: new Date(Number(expiresAt) * 1000).toISOString() } : {}),
  };
}
