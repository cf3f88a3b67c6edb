/**
 * Deletes every item of one partition, page by page (keys only), with batched deletes, and counts
 * what it deleted by the item's kind. Deleting is idempotent, so a run that was interrupted is
 * finished by running it again.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { batchWrite } from './batch-write';
import { queryPages } from './query-pages';
import { attribute } from './table-layout';

export type CountsByKind = Record<string, number>;

export interface PartitionDelete {
  documents: DynamoDBDocumentClient;
  tableName: string;
  pk: string;
  /** Sort keys to leave for the caller to delete last (a session item, so an interrupted clear stays visible). */
  deferred?: (sk: string) => boolean;
  /**
   * Told what each page deleted, once its deletes are done: for counters that stay right at every
   * step, and for progress. Throwing from it stops the deletion there.
   */
  onPage?: (counts: CountsByKind) => void | Promise<void>;
}

export function addCounts(into: CountsByKind, from: CountsByKind): CountsByKind {
  for (const [kind, n] of Object.entries(from)) into[kind] = (into[kind] ?? 0) + n;
  return into;
}

/** Deletes the partition's items; returns the counts by kind and the deferred keys it found. */
export async function deletePartition(request: PartitionDelete): Promise<{ counts: CountsByKind; deferredKeys: Record<string, unknown>[] }> {
  const { documents, tableName, pk, deferred, onPage } = request;
  const counts: CountsByKind = {};
  const deferredKeys: Record<string, unknown>[] = [];
  const pages = queryPages(documents, {
    TableName: tableName,
    KeyConditionExpression: '#pk = :pk',
    ProjectionExpression: '#pk, #sk, #kind',
    ExpressionAttributeNames: { '#pk': attribute.partitionKey, '#sk': attribute.sortKey, '#kind': 'kind' },
    ExpressionAttributeValues: { ':pk': pk },
    ConsistentRead: true,
  });
  let result = await pages.next();
  while (!result.done) {
    const page = result.value;
    const keys: Record<string, unknown>[] = [];
    const pageCounts: CountsByKind = {};
    for (const item of page.Items ?? []) {
      const itemKey = { [attribute.partitionKey]: item[attribute.partitionKey], [attribute.sortKey]: item[attribute.sortKey] };
      if (deferred?.(String(item[attribute.sortKey]))) {
        deferredKeys.push(itemKey);
        continue;
      }
      keys.push(itemKey);
      const kind = String(item['kind'] ?? 'other');
      pageCounts[kind] = (pageCounts[kind] ?? 0) + 1;
    }
    // The next page is read while this page's deletes run: it starts after this page's last key, so
    // the deletes cannot change it, and the Query no longer waits behind the BatchWrite calls.
    [, result] = await Promise.all([batchWrite(documents, tableName, keys.map((Key) => ({ DeleteRequest: { Key } }))), pages.next()]);
    addCounts(counts, pageCounts);
    await onPage?.(pageCounts);
  }
  return { counts, deferredKeys };
}
