/** What every part of the memory core needs to reach its table. */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface TableHandle {
  documents: DynamoDBDocumentClient;
  tableName: string;
  /** The clock (epoch milliseconds), for tests. */
  now: () => number;
}
