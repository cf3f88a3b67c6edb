/**
 * Recall: the records of a scope most relevant to a query, by one score (0 to 1):
 *
 *   score = wSim · similarity + wRec · recency + wImp · importance'
 *   similarity  = max(0, cosine of the query's and the record's vectors)
 *   recency     = 0.5 ^ (days since the record was last updated / half-life)
 *   importance' = (importance − 1) / 9
 *
 * with the weights normalised to sum 1. Recency counts from `updatedAt`, not from the last recall:
 * a score on that would make recalled records win more recalls, and would stale every cache.
 *
 * Two ways to find candidates, the same ranking after:
 *   - exact, on any engine: every compact (int8) vector of the scope is scored (the process cache
 *     of memory-vectors.ts reads them only when the scope changed), and the best 1.5 × k are read;
 *   - on AWS, through the table's vector index when the connection found one for the query's
 *     embedder and dimension: SearchVectors within the scope (the index ranks by similarity alone,
 *     so it is asked for more than k, and for 100 when filters may drop some).
 * The candidates' records are read, scored again with their float32 vectors (so int8's rounding
 * never decides between two close records: compact-vector.ts), filtered by minScore (and a record
 * with no similarity at all is never recalled, however recent or important), and the best k
 * returned. Then each one's access count goes up by one, with an atomic ADD (no read first, no
 * lost count when recalls race) that the caller awaits after sending the results.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { RecallRequest } from '../schemas/memory-request';
import { batchGet } from './batch-get';
import { candidatesPerResult, cosineToCompact, highest } from './compact-vector';
import { assertSameEmbedder, float32Numbers, type Embedding } from './embedding';
import { epochMs, iso } from './instants';
import { embedderKey, recordFromItem, scopeName, storedVector, type MemoryRecord } from './memory-items';
import type { ScopeVector, ScopeVectorCache, VectorRead } from './memory-vectors';
import type { TableHandle } from './table-handle';
import { attribute, key, type MemoryScope } from './table-layout';
import { isLive } from './ttl-filter';
import { MemoryInputError } from '../errors/input-errors';

export const defaultWeights = { similarity: 0.7, recency: 0.15, importance: 0.15 } as const;
export const defaultHalfLifeDays = 30;
export const defaultRecallCount = 5;
/** What SearchVectors returns at most (its TopK limit). */
const indexTopK = 100;

type Item = Record<string, unknown>;

export interface ScoredMemory extends MemoryRecord {
  /** The combined score, 0 to 1. */
  score: number;
  /** The cosine similarity alone (0 to 1). */
  similarity: number;
}

export interface RecallResult {
  memories: ScoredMemory[];
  /** exact: the scope's vectors scored here; vector-index: DynamoDB's vector index searched. */
  path: 'exact' | 'vector-index';
  /** How the exact path had the scope's vectors (cached: no read but the version item). */
  read?: VectorRead['read'];
  /** Vectors compared (exact path: the scope's, after filters; index path: the candidates). */
  compared: number;
  /** Records left out because another embedder or dimension made their vector. */
  otherEmbedder: number;
  /** Resolves once the returned records' access counts are written. */
  accessRecorded: Promise<void>;
}

/** Searches a vector index within one scope; similarity 0 to 1, best first. */
export type VectorIndexSearch = (query: { partition: string; embedder: string; vector: number[]; topK: number }) => Promise<Array<{ id: string; similarity: number }>>;

export interface RecallContext extends TableHandle {
  vectors: Pick<ScopeVectorCache, 'read'>;
  /** The table's vector index when it can be searched now, for queries of its dimension (none: exact only). */
  vectorIndex?: { dimension: number; search: VectorIndexSearch };
}

interface Scoring {
  weights: { similarity: number; recency: number; importance: number };
  halfLifeDays: number;
  nowMs: number;
}

/**
 * `countAccess: false`: a look-up that is not a recall (a remember looking for a record to merge
 * into, memory-tidy.ts): the records come back as stored and no access count is written.
 */
export async function recall(
  context: RecallContext,
  scope: MemoryScope,
  request: RecallRequest,
  query: Embedding,
  { countAccess = true }: { countAccess?: boolean } = {},
): Promise<RecallResult> {
  const k = request.k ?? defaultRecallCount;
  const nowMs = context.now();
  const scoring: Scoring = { weights: normalised(request.weights), halfLifeDays: request.halfLifeDays ?? defaultHalfLifeDays, nowMs };
  const accepts = filter(request, nowMs);
  const index = context.vectorIndex;
  const useIndex = index !== undefined && index.dimension === query.dimension;
  let candidateIds: string[];
  let result: Omit<RecallResult, 'memories' | 'accessRecorded'>;
  if (useIndex) {
    const filtered = request.kind !== undefined || request.metadata !== undefined || request.validAt !== undefined;
    const hits = await index.search({
      partition: key.memoryPartition(scope),
      embedder: embedderKey(query),
      vector: float32Numbers(query.vector),
      topK: filtered ? indexTopK : Math.min(indexTopK, Math.ceil(k * candidatesPerResult)),
    });
    candidateIds = hits.map((hit) => hit.id);
    result = { path: 'vector-index', compared: hits.length, otherEmbedder: 0 };
  } else {
    const { vectors, read } = await context.vectors.read(context, scope);
    const same = vectors.filter((v) => v.embedder === query.embedder && v.dimension === query.dimension);
    if (same.length === 0 && vectors.length > 0) assertSameEmbedder(vectors[0]!, query);
    const kept = same.filter(accepts);
    const queryLength = Math.hypot(...query.vector);
    const scores = kept.map((v) => combined(Math.max(0, cosineToCompact(query.vector, queryLength, v.values, v.squaredLength)), v, scoring));
    candidateIds = highest(kept.length, Math.ceil(k * candidatesPerResult), (i) => scores[i]!).map((i) => kept[i]!.id);
    result = { path: 'exact', read, compared: kept.length, otherEmbedder: vectors.length - same.length };
  }
  const items = await batchGet(context.documents, context.tableName, candidateIds.map((id) => key.memory(scope, id)), { consistent: true });
  const scored = items
    .filter((item) => isLive(item, nowMs))
    .map((item) => ({ item, record: recordFromItem(item, scopeName(scope)) }))
    .filter(({ item, record }) => record.embedder === query.embedder && record.dimension === query.dimension && accepts(scopeVectorOf(item, record)))
    .map(({ item, record }) => {
      const similarity = Math.max(0, cosine(query.vector, storedVector(item)));
      return { ...record, similarity, score: combined(similarity, scopeVectorOf(item, record), scoring) };
    })
    // A record that shares nothing with the query is not recalled, however recent or important.
    .filter((memory) => memory.similarity > 0 && memory.score >= (request.minScore ?? 0))
    .sort((a, b) => b.score - a.score || a.id.localeCompare(b.id))
    .slice(0, k);
  if (!countAccess) return { memories: scored, ...result, accessRecorded: Promise.resolve() };
  const accessedAt = iso(nowMs);
  const memories = scored.map((memory) => ({ ...memory, accessCount: memory.accessCount + 1, lastAccessedAt: accessedAt }));
  return { memories, ...result, accessRecorded: recordAccess(context, scope, memories, accessedAt) };
}

function normalised(weights: RecallRequest['weights']): Scoring['weights'] {
  const w = { ...defaultWeights, ...weights };
  const sum = w.similarity + w.recency + w.importance;
  if (sum === 0) throw new MemoryInputError('input.memory-weights-zero', { field: 'weights' });
  return { similarity: w.similarity / sum, recency: w.recency / sum, importance: w.importance / sum };
}

function combined(similarity: number, v: Pick<ScopeVector, 'updatedAtMs' | 'importance'>, scoring: Scoring): number {
  const ageDays = Math.max(0, scoring.nowMs - v.updatedAtMs) / 86_400_000;
  const recency = 0.5 ** (ageDays / scoring.halfLifeDays);
  const importance = (v.importance - 1) / 9;
  const { weights } = scoring;
  return weights.similarity * similarity + weights.recency * recency + weights.importance * importance;
}

/** The request's filters: kind, metadata values, valid at a time (default now), not expired. */
function filter(request: RecallRequest, nowMs: number): (v: Omit<ScopeVector, 'values' | 'squaredLength'>) => boolean {
  const at = request.validAt === undefined ? nowMs : epochMs(request.validAt);
  const wanted = Object.entries((request.metadata as Record<string, unknown> | undefined) ?? {}).map(([name, value]) => [name, JSON.stringify(value)] as const);
  const nowSeconds = Math.floor(nowMs / 1000);
  return (v) =>
    (request.kind === undefined || v.kind === request.kind) &&
    wanted.every(([name, value]) => v.metadata !== undefined && Object.hasOwn(v.metadata, name) && JSON.stringify(v.metadata[name]) === value) &&
    (v.validFromMs === undefined || v.validFromMs <= at) &&
    (v.validToMs === undefined || at < v.validToMs) &&
    (v.expiresAt === undefined || v.expiresAt > nowSeconds);
}

/** A record's scoring and filtering fields in the vector form, to judge a record read whole. */
function scopeVectorOf(item: Item, record: MemoryRecord): Omit<ScopeVector, 'values' | 'squaredLength'> {
  return {
    id: record.id,
    embedder: record.embedder,
    dimension: record.dimension,
    importance: record.importance,
    updatedAtMs: Date.parse(record.updatedAt),
    ...(record.kind !== undefined ? { kind: record.kind } : {}),
    ...(record.validFrom !== undefined ? { validFromMs: Date.parse(record.validFrom) } : {}),
    ...(record.validTo !== undefined ? { validToMs: Date.parse(record.validTo) } : {}),
    ...(item['metadata'] !== undefined ? { metadata: record.metadata } : {}),
    ...(item[attribute.expiresAt] !== undefined ? { expiresAt: Number(item[attribute.expiresAt]) } : {}),
  };
}

/** Exact cosine (0 when either vector is all zeros); the SearchVectors test double ranks by it too. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return aa === 0 || bb === 0 ? 0 : dot / Math.sqrt(aa * bb);
}

/**
 * One atomic ADD per returned record. A record forgotten meanwhile fails its condition and is
 * skipped; these writes change nothing a recall scores on, so they bump no version.
 */
async function recordAccess(table: TableHandle, scope: MemoryScope, memories: MemoryRecord[], accessedAt: string): Promise<void> {
  await Promise.all(
    memories.map(async (memory) => {
      try {
        await table.documents.send(
          new UpdateCommand({
            TableName: table.tableName,
            Key: key.memory(scope, memory.id),
            UpdateExpression: 'ADD #count :one SET #at = :at',
            ConditionExpression: 'attribute_exists(#pk)',
            ExpressionAttributeNames: { '#count': 'accessCount', '#at': 'lastAccessedAt', '#pk': attribute.partitionKey },
            ExpressionAttributeValues: { ':one': 1, ':at': accessedAt },
          }),
        );
      } catch (error) {
        if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
      }
    }),
  );
}
