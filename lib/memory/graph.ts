/**
 * An entity graph in the memory table, with no Node-RED in it: entities (a person, a venue, ...)
 * and directed, typed relationships between them that are valid for a time. A graph is a user's own
 * (`{userId}`) or a named one (`{graph}`); each lives in one partition (see table-layout.ts).
 *
 * A relationship is two items, `OUT#<source>#<relation>#<target>` and `IN#<target>#<relation>#<source>`,
 * always written, closed or deleted together in one transaction, so it reads the same from both
 * ends and a half-written one never exists. Requests are typed by ../schemas/graph-request; use its
 * `parse…` functions on input you do not control.
 */
import {
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
  type PutCommandInput,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type {
  EntityRequest,
  LinkRequest,
  NeighboursRequest,
  RelationsRequest,
  UnlinkRequest,
} from '../schemas/graph-request';
import { EntityNotFoundError, MemoryInputError } from '../errors/input-errors';
import { itemBytes, maxItemBytes } from './item-size';
import { batchGet } from './batch-get';
import { iso } from './instants';
import { pageCursor, queryPages } from './query-pages';
import { backoff, maxRetries } from './retry';
import { assertNotForgotten } from './session-owner';
import { attribute, key, prefix, userIndex, type GraphScope } from './table-layout';
import { transactionCancellation } from './transaction-cancellation';

export interface MemoryGraphOptions {
  documents: DynamoDBDocumentClient;
  tableName: string;
  /** The clock, for tests. */
  now?: () => number;
}

export interface EntityRecord {
  id: string;
  type: string;
  aliases: string[];
  properties: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

export interface EdgeRecord {
  source: string;
  relation: string;
  target: string;
  properties: Record<string, unknown>;
  /** Valid from this time (ISO 8601) ... */
  validFrom: string;
  /** ... until just before this one; absent: still valid. */
  validTo?: string;
  /** When the link that (re)opened it was written. */
  createdAt: string;
}

export interface NeighbourEdge extends EdgeRecord {
  /** `out`: the entity asked about is the source; `in`: it is the target. */
  direction: 'out' | 'in';
}

export interface NeighboursResult {
  id: string;
  /** The time the edges are valid at. */
  at: string;
  edges: NeighbourEdge[];
  /** The entities at the other ends of the edges, each once, in the order the edges name them. */
  entities: EntityRecord[];
}

export interface RelationsResult {
  relation: string;
  /** Newest link first; closed relationships too, with their validTo. */
  edges: EdgeRecord[];
  /** Present when there may be more: send it back as `cursor` for the next page. */
  cursor?: string;
}

/** `close`: set validTo = now and keep the history; `delete`: remove both items. */
export type UnlinkMode = 'close' | 'delete';

export interface UnlinkResult {
  source: string;
  relation: string;
  target: string;
  mode: UnlinkMode;
  /** False when there was no relationship (or, for close, none still open) to unlink. */
  unlinked: boolean;
  /** For a close that happened: the validTo it set. */
  validTo?: string;
}

const defaultNeighbourLimit = 100;
const defaultRelationsLimit = 20;

/** What varies between pages of a relation listing (both partitions come from the scope). */
const relationCursorKeys = [attribute.sortKey, attribute.gsi1SortKey] as const;

type TransactItems = NonNullable<TransactWriteCommandInput['TransactItems']>;
type Item = Record<string, unknown>;


function assertFits(item: Item, tooLarge: 'input.entity-too-large' | 'input.relationship-too-large'): void {
  const bytes = itemBytes(item);
  if (bytes > maxItemBytes) throw new MemoryInputError(tooLarge, { size: (bytes / 1024).toFixed(1) });
}

/** Top-level merge: given keys replace stored ones, a key set to null is removed, the rest stay. */
function mergeProperties(stored: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...stored };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete merged[k];
    else if (v !== undefined) merged[k] = v;
  }
  return merged;
}

function entityFromItem(item: Item): EntityRecord {
  return {
    id: item['id'] as string,
    type: item['type'] as string,
    aliases: (item['aliases'] as string[] | undefined) ?? [],
    properties: (item['properties'] as Record<string, unknown> | undefined) ?? {},
    createdAt: item['createdAt'] as string,
    updatedAt: item['updatedAt'] as string,
  };
}

function edgeFromItem(item: Item): EdgeRecord {
  return {
    source: item['source'] as string,
    relation: item['relation'] as string,
    target: item['target'] as string,
    properties: (item['properties'] as Record<string, unknown> | undefined) ?? {},
    validFrom: item['validFrom'] as string,
    ...(item['validTo'] !== undefined ? { validTo: item['validTo'] as string } : {}),
    createdAt: item['createdAt'] as string,
  };
}

export class MemoryGraph {
  private readonly documents: DynamoDBDocumentClient;
  readonly tableName: string;
  private readonly now: () => number;

  constructor(options: MemoryGraphOptions) {
    this.documents = options.documents;
    this.tableName = options.tableName;
    this.now = options.now ?? Date.now;
  }

  /**
   * Creates the entity or updates it: `type` is replaced, `aliases` replaced when given (kept when
   * not), `properties` merged one level deep (a key set to null is removed). GetItem, then a Put
   * conditioned on the version read, retried if another writer came in between.
   */
  async upsertEntity(scope: GraphScope, request: EntityRequest): Promise<EntityRecord> {
    const entityKey = key.entity(scope, request.id);
    for (let attempt = 0; ; attempt++) {
      // The first read of the entity goes beside the check that the user is not being forgotten.
      const [{ Item: stored }] = await Promise.all([
        this.documents.send(new GetCommand({ TableName: this.tableName, Key: entityKey, ConsistentRead: true })),
        attempt === 0 ? this.notForgotten(scope) : undefined,
      ]);
      const before = stored ? entityFromItem(stored) : undefined;
      const nowIso = iso(this.now());
      const record: EntityRecord = {
        id: request.id,
        type: request.type,
        aliases: request.aliases ? [...request.aliases] : before?.aliases ?? [],
        properties: mergeProperties(before?.properties ?? {}, (request.properties ?? {}) as Record<string, unknown>),
        createdAt: before?.createdAt ?? nowIso,
        updatedAt: nowIso,
      };
      const version = typeof stored?.['version'] === 'number' ? stored['version'] : undefined;
      const item = { ...entityKey, kind: 'entity', ...record, version: (version ?? 0) + 1 };
      assertFits(item, 'input.entity-too-large');
      // Put only over what was read: no item, or (an item without a version) or the version read.
      const condition: Pick<PutCommandInput, 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'> = !stored
        ? { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': attribute.partitionKey } }
        : version === undefined
          ? { ConditionExpression: 'attribute_not_exists(#version)', ExpressionAttributeNames: { '#version': 'version' } }
          : { ConditionExpression: '#version = :version', ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':version': version } };
      try {
        await this.documents.send(new PutCommand({ TableName: this.tableName, Item: item, ...condition }));
        return record;
      } catch (error) {
        if ((error as Error).name !== 'ConditionalCheckFailedException' || attempt >= maxRetries) throw error;
        await backoff(attempt);
      }
    }
  }

  /**
   * Creates the relationship, or re-opens it (a link replaces both items: validFrom, validTo,
   * properties and createdAt are the new ones). Both entities must exist. One TransactWriteItems:
   * Put out, Put in, ConditionCheck of each entity.
   */
  async link(scope: GraphScope, request: LinkRequest): Promise<EdgeRecord> {
    await this.notForgotten(scope);
    const { source, relation, target } = request;
    const nowIso = iso(this.now());
    const validFrom = request.validFrom === undefined ? nowIso : iso(request.validFrom);
    const validTo = request.validTo === undefined ? undefined : iso(request.validTo);
    if (validTo !== undefined && validTo <= validFrom) {
      throw new MemoryInputError('input.valid-to-before-from', { validTo, validFrom });
    }
    const record: EdgeRecord = {
      source,
      relation,
      target,
      properties: (request.properties ?? {}) as Record<string, unknown>,
      validFrom,
      ...(validTo !== undefined ? { validTo } : {}),
      createdAt: nowIso,
    };
    const out = {
      ...key.edgeOut(scope, source, relation, target),
      kind: 'edge-out',
      ...record,
      [attribute.gsi1PartitionKey]: key.relationIndex(scope, relation),
      [attribute.gsi1SortKey]: key.relationIndexSort(nowIso, source, target),
    };
    const incoming = { ...key.edgeIn(scope, source, relation, target), kind: 'edge-in', ...record };
    assertFits(out, 'input.relationship-too-large');
    const endpoints = source === target ? [source] : [source, target];
    const cancelled = await this.transact([
      { Put: { TableName: this.tableName, Item: out } },
      { Put: { TableName: this.tableName, Item: incoming } },
      ...endpoints.map((id) => ({
        ConditionCheck: {
          TableName: this.tableName,
          Key: key.entity(scope, id),
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': attribute.partitionKey },
        },
      })),
    ]);
    if (cancelled) {
      const missing = endpoints.filter((_, i) => cancelled.codes[2 + i] === 'ConditionalCheckFailed');
      if (missing.length > 0) throw new EntityNotFoundError(missing);
      throw cancelled.error;
    }
    return record;
  }

  /**
   * Closes the relationship (validTo = now; only one that is still open) or deletes it: both items in
   * one TransactWriteItems (two Updates or two Deletes, each conditioned on the item existing).
   */
  async unlink(scope: GraphScope, request: UnlinkRequest, mode: UnlinkMode = 'close'): Promise<UnlinkResult> {
    await this.notForgotten(scope);
    const { source, relation, target } = request;
    const keys = [key.edgeOut(scope, source, relation, target), key.edgeIn(scope, source, relation, target)];
    const nowIso = iso(this.now());
    const items: TransactItems =
      mode === 'delete'
        ? keys.map((Key) => ({
            Delete: {
              TableName: this.tableName,
              Key,
              ConditionExpression: 'attribute_exists(#pk)',
              ExpressionAttributeNames: { '#pk': attribute.partitionKey },
            },
          }))
        : keys.map((Key) => ({
            Update: {
              TableName: this.tableName,
              Key,
              UpdateExpression: 'SET #validTo = :now',
              ConditionExpression: 'attribute_exists(#pk) AND (attribute_not_exists(#validTo) OR #validTo > :now)',
              ExpressionAttributeNames: { '#pk': attribute.partitionKey, '#validTo': 'validTo' },
              ExpressionAttributeValues: { ':now': nowIso },
            },
          }));
    const cancelled = await this.transact(items);
    if (cancelled && !cancelled.codes.some((code) => code === 'ConditionalCheckFailed')) throw cancelled.error;
    return {
      source,
      relation,
      target,
      mode,
      unlinked: !cancelled,
      ...(mode === 'close' && !cancelled ? { validTo: nowIso } : {}),
    };
  }

  /**
   * The edges of an entity valid at `at` (default now), outgoing, incoming or both, optionally of
   * one relation, and the entities at their other ends. One Query per direction (begins_with on the
   * sort key, validity as a filter), then BatchGetItem for the entities.
   */
  async neighbours(scope: GraphScope, request: NeighboursRequest): Promise<NeighboursResult> {
    const at = iso(request.at ?? this.now());
    const limit = request.limit ?? defaultNeighbourLimit;
    const directions: Array<'out' | 'in'> = request.direction === 'out' || request.direction === 'in' ? [request.direction] : ['out', 'in'];
    const [, ...lists] = await Promise.all([this.notForgotten(scope), ...directions.map((d) => this.validEdges(scope, d, request.id, request.relation, at, limit))]);
    const edges = lists.flat();
    const ids = [...new Set(edges.map((e) => (e.direction === 'out' ? e.target : e.source)))];
    return { id: request.id, at, edges, entities: await this.entities(scope, ids) };
  }

  /**
   * Every relationship of the scope valid at `at` (default now), in sort-key order (by source, then
   * relation, then target), at most `limit`: one Query on the scope's partition (begins_with `OUT#`,
   * validity as a filter), paged until it has them. The context node renders these as facts.
   */
  async validRelationships(scope: GraphScope, limit = defaultNeighbourLimit, at?: string | number): Promise<EdgeRecord[]> {
    const when = iso(at ?? this.now());
    const edges: EdgeRecord[] = [];
    const pages = queryPages(this.documents, {
      TableName: this.tableName,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      FilterExpression: '#validFrom <= :at AND (attribute_not_exists(#validTo) OR #validTo > :at)',
      ExpressionAttributeNames: { '#pk': attribute.partitionKey, '#sk': attribute.sortKey, '#validFrom': 'validFrom', '#validTo': 'validTo' },
      ExpressionAttributeValues: { ':pk': key.graphPartition(scope), ':prefix': prefix.edgeOut, ':at': when },
      Limit: limit,
    }, { nextLimit: () => limit - edges.length });
    const read = async () => {
      for await (const page of pages) {
        edges.push(...(page.Items ?? []).map(edgeFromItem));
        if (edges.length >= limit) break;
      }
    };
    await Promise.all([this.notForgotten(scope), read()]);
    return edges;
  }

  /**
   * A scope's relationships of one type, newest link first, a page at a time: one Query on index
   * gsi1 (`GRAPH#<scope>#REL#<relation>`), descending, with Limit.
   */
  async relations(scope: GraphScope, request: RelationsRequest): Promise<RelationsResult> {
    const indexKey = key.relationIndex(scope, request.relation);
    const fixedKeys = { [attribute.partitionKey]: key.graphPartition(scope), [attribute.gsi1PartitionKey]: indexKey };
    const startKey = request.cursor === undefined ? undefined : pageCursor.decode(request.cursor, fixedKeys, relationCursorKeys);
    const [, page] = await Promise.all([this.notForgotten(scope), this.documents.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: userIndex,
        KeyConditionExpression: '#gpk = :gpk',
        ExpressionAttributeNames: { '#gpk': attribute.gsi1PartitionKey },
        ExpressionAttributeValues: { ':gpk': indexKey },
        ScanIndexForward: false,
        Limit: request.limit ?? defaultRelationsLimit,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    )]);
    const last = page.LastEvaluatedKey;
    return {
      relation: request.relation,
      edges: (page.Items ?? []).map(edgeFromItem),
      ...(last ? { cursor: pageCursor.encode(last, relationCursorKeys) } : {}),
    };
  }

  private async validEdges(
    scope: GraphScope,
    direction: 'out' | 'in',
    id: string,
    relation: string | undefined,
    at: string,
    limit: number,
  ): Promise<NeighbourEdge[]> {
    const skPrefix = key.edgesOf(direction, id, relation);
    const edges: NeighbourEdge[] = [];
    const pages = queryPages(this.documents, {
      TableName: this.tableName,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      FilterExpression: '#validFrom <= :at AND (attribute_not_exists(#validTo) OR #validTo > :at)',
      ExpressionAttributeNames: {
        '#pk': attribute.partitionKey,
        '#sk': attribute.sortKey,
        '#validFrom': 'validFrom',
        '#validTo': 'validTo',
      },
      ExpressionAttributeValues: { ':pk': key.graphPartition(scope), ':prefix': skPrefix, ':at': at },
      Limit: limit,
    });
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        edges.push({ ...edgeFromItem(item), direction });
        if (edges.length === limit) return edges;
      }
    }
    return edges;
  }

  /** The entities with these ids that exist, in the ids' order (BatchGetItem, 100 a call). */
  /** A user's graph is refused once the user is being forgotten; a named graph belongs to no user. */
  private async notForgotten(scope: GraphScope): Promise<void> {
    if ('userId' in scope) await assertNotForgotten({ documents: this.documents, tableName: this.tableName, now: this.now }, scope.userId);
  }

  private async entities(scope: GraphScope, ids: string[]): Promise<EntityRecord[]> {
    const found = new Map<string, EntityRecord>();
    const items = await batchGet(this.documents, this.tableName, ids.map((id) => key.entity(scope, id)));
    for (const item of items) found.set(item['id'] as string, entityFromItem(item));
    return ids.flatMap((id) => (found.has(id) ? [found.get(id)!] : []));
  }

  /**
   * One TransactWriteItems, retried with backoff while DynamoDB cancels it for transient reasons.
   * Resolves undefined when it was applied, or with the cancellation reasons when it was refused.
   */
  private async transact(items: TransactItems): Promise<{ codes: Array<string | undefined>; error: Error } | undefined> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.documents.send(new TransactWriteCommand({ TransactItems: items }));
        return undefined;
      } catch (error) {
        const cancelled = transactionCancellation(error);
        if (!cancelled) throw error;
        if (!cancelled.transient) return { codes: cancelled.codes, error: error as Error };
        if (attempt >= maxRetries) throw error;
        await backoff(attempt);
      }
    }
  }
}
