/**
 * DynamoDB's vector index, as long-term memory's recall uses it: whether a table has the pack's
 * index and can search it now, and one SearchVectors within a scope's partition. The index is
 * approximate (nearest neighbours found by a graph walk, not by reading every vector), so its top k
 * may differ slightly from an exact ranking; the recall ranks the records it reads again.
 */
import { SearchVectorsCommand, type AttributeValue, type DynamoDBClient, type TableDescription } from '@aws-sdk/client-dynamodb';
import { attribute, vectorIndexName } from './table-layout';

export interface VectorIndexState {
  dimension: number;
  /**
   * Whether SearchVectors answers: an index being created, or added to a table with items and
   * filling from them (Backfilling), refuses searches with a ValidationException.
   */
  ready: boolean;
}

/** The pack's vector index in a DescribeTable answer, or undefined when the table has none. */
export function vectorIndexOf(description: TableDescription): VectorIndexState | undefined {
  const index = description.VectorIndexes?.find((candidate) => candidate.IndexName === vectorIndexName);
  if (!index || index.Dimensions === undefined) return undefined;
  return { dimension: index.Dimensions, ready: index.IndexStatus === 'ACTIVE' && index.Backfilling !== true };
}

export interface VectorSearch {
  /** The scope's partition key value (`USER#ana`): the index's HASH search attribute holds the same. */
  scopePartition: string;
  /** `<embedder name>/<dimension>`, as records store it. */
  embedder: string;
  vector: number[];
  /** 1 to 100 (DynamoDB's range). */
  topK: number;
}

export interface VectorHit {
  pk: string;
  sk: string;
  /** 1 − COSINE's Score (a distance, 0 identical … 2 opposite), clamped to 0 … 1 like the exact path's max(0, cosine). */
  similarity: number;
}

export interface VectorSearchResult {
  /** Most similar first. */
  hits: VectorHit[];
  /** What the search was metered at (VectorSearchRequestBytes): vector search is billed in bytes, not read units. */
  searchBytes?: number;
}

/** The nearest records of one scope and embedder, by the index's cosine distance. */
export async function searchVectors(client: DynamoDBClient, tableName: string, search: VectorSearch): Promise<VectorSearchResult> {
  const answer = await client.send(
    new SearchVectorsCommand({
      TableName: tableName,
      IndexName: vectorIndexName,
      SearchVector: search.vector.map((value) => ({ N: String(value) })),
      SearchConditionExpression: '#scope = :scope AND #embedder = :embedder',
      ExpressionAttributeNames: { '#scope': attribute.memoryScope, '#embedder': attribute.embedder },
      ExpressionAttributeValues: { ':scope': { S: search.scopePartition }, ':embedder': { S: search.embedder } },
      TopK: search.topK,
      ReturnConsumedCapacity: 'TOTAL',
    }),
  );
  const hits = (answer.SearchResults ?? []).map(({ Item, Score }) => ({
    pk: keyValue(Item, attribute.partitionKey),
    sk: keyValue(Item, attribute.sortKey),
    similarity: Math.min(1, Math.max(0, 1 - (Score ?? 2))),
  }));
  return { hits, searchBytes: answer.ConsumedCapacity?.VectorSearchRequestBytes };
}

function keyValue(item: Record<string, AttributeValue> | undefined, name: string): string {
  const value = item?.[name]?.S;
  // A keys-only index answers the table's keys with every result: without them it is not this pack's index.
  if (value === undefined) throw new Error(`SearchVectors answered a result without ${name}`);
  return value;
}
