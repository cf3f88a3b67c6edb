/**
 * Reading items by key with BatchGetItem: 100 keys a call, and the keys DynamoDB leaves
 * unprocessed (under load it may leave any) asked for again with backoff.
 */
import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { backoff, maxRetries } from './retry';

type Item = Record<string, unknown>;

const batchGetSize = 100;

/** The items of `keys` that exist, in no particular order. */
export async function batchGet(documents: DynamoDBDocumentClient, tableName: string, keys: Item[], options: { consistent?: boolean } = {}): Promise<Item[]> {
  const items: Item[] = [];
  for (let i = 0; i < keys.length; i += batchGetSize) {
    let pending = keys.slice(i, i + batchGetSize);
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > maxRetries) throw new Error(`DynamoDB left ${pending.length} reads unprocessed after ${maxRetries} retries`);
      if (attempt > 0) await backoff(attempt);
      const result = await documents.send(
        new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending, ...(options.consistent ? { ConsistentRead: true } : {}) } } }),
      );
      items.push(...(result.Responses?.[tableName] ?? []));
      pending = (result.UnprocessedKeys?.[tableName]?.Keys as Item[] | undefined) ?? [];
    }
  }
  return items;
}
