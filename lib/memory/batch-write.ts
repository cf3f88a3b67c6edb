/**
 * BatchWriteItem for any number of requests: 25 a call, a few calls in flight, and the items
 * DynamoDB hands back as unprocessed (it does so under throttling) sent again with backoff until
 * none is left.
 */
import { BatchWriteCommand, type BatchWriteCommandInput, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inParallel } from './in-parallel';
import { backoff, maxRetries } from './retry';

type WriteRequest = NonNullable<BatchWriteCommandInput['RequestItems']>[string][number];

const batchSize = 25;
const callsInFlight = 4;

async function writeOneBatch(client: DynamoDBDocumentClient, table: string, requests: WriteRequest[]): Promise<void> {
  let pending = requests;
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt > maxRetries) {
      throw new Error(`DynamoDB left ${pending.length} writes unprocessed after ${maxRetries} retries; run again to finish`);
    }
    if (attempt > 0) await backoff(attempt);
    const result = await client.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
    pending = result.UnprocessedItems?.[table] ?? [];
  }
}

export async function batchWrite(client: DynamoDBDocumentClient, table: string, requests: WriteRequest[]): Promise<void> {
  const batches: WriteRequest[][] = [];
  for (let i = 0; i < requests.length; i += batchSize) batches.push(requests.slice(i, i + batchSize));
  await inParallel(batches, callsInFlight, (batch) => writeOneBatch(client, table, batch));
}
