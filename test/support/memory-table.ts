/** A fresh table on the test run's DynamoDB Local, and the raw SDK to look inside it. */
import { randomUUID } from 'node:crypto';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { ChatMemory } from '../../lib/memory/chat-memory';
import { connect, type Connection, type ConnectionOptions } from '../../lib/memory/connection';
import { prefix as keyPrefix } from '../../lib/memory/table-layout';
import { ensureTable } from '../../lib/memory/table-setup';
import { dynamoDBLocal } from './root-hooks';

/** DynamoDB Local takes only alphanumeric access key ids. */
export const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };

/** A connection to the test run's DynamoDB Local, or, with another endpoint, to a proxy in front of it. */
export function localConnection(options: Partial<ConnectionOptions> = {}): Connection {
  return connect({
    region: 'us-east-1',
    endpoint: dynamoDBLocal().endpoint,
    authentication: { type: 'keys', ...localCredentials },
    requestTimeoutMs: 10_000,
    maxAttempts: 3,
    ...options,
  });
}

/** Every item of the table: a full, consistent scan (tests only; the pack itself never scans). */
export async function scanTable(tableName: string): Promise<Record<string, unknown>[]> {
  const connection = localConnection();
  try {
    const items: Record<string, unknown>[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await connection.documents.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey, ConsistentRead: true }));
      items.push(...(page.Items ?? []));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return items;
  } finally {
    connection.client.destroy();
  }
}

/** Every item but the counter shards, which each process's flush writes whenever it has counts to add. */
export async function scanMemoryItems(tableName: string): Promise<Record<string, unknown>[]> {
  return (await scanTable(tableName)).filter((item) => !String(item['pk']).startsWith(keyPrefix.stats));
}

/** The table's status on the test run's DynamoDB Local, or 'missing'. */
export async function tableStatus(tableName: string): Promise<string | undefined> {
  const connection = localConnection();
  try {
    return (await connection.client.send(new DescribeTableCommand({ TableName: tableName }))).Table?.TableStatus;
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') return 'missing';
    throw error;
  } finally {
    connection.client.destroy();
  }
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export interface MemoryTable {
  tableName: string;
  connection: Connection;
  memory: ChatMemory;
  /** Every item in the table whose pk is the given value (a full scan: tests only). */
  itemsWithPk(pk: string): Promise<Record<string, unknown>[]>;
  close(): void;
}

export async function memoryTable(): Promise<MemoryTable> {
  const tableName = uniqueName('test');
  const connection = localConnection();
  await ensureTable(connection.client, tableName);
  return {
    tableName,
    connection,
    memory: new ChatMemory({ documents: connection.documents, tableName }),
    async itemsWithPk(pk: string) {
      return (await scanTable(tableName)).filter((item) => item['pk'] === pk);
    },
    close: () => connection.client.destroy(),
  };
}
