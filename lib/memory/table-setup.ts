/** Creates the memory table when it is missing: the layout from table-layout.ts, with TTL on. */
import {
  CreateTableCommand,
  DescribeTableCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { tableDefinition, timeToLive } from './table-layout';

function isNamed(error: unknown, name: string): boolean {
  return (error as { name?: string } | null)?.name === name;
}

/** Resolves once the table exists and is active; creates it (and enables TTL) when it does not. */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<'existed' | 'created'> {
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus !== 'ACTIVE') await waitUntilTableExists({ client, maxWaitTime: 300 }, { TableName: tableName });
    return 'existed';
  } catch (error) {
    if (!isNamed(error, 'ResourceNotFoundException')) throw error;
  }
  try {
    await client.send(new CreateTableCommand(tableDefinition(tableName)));
  } catch (error) {
    // Another runtime created it between our describe and create: wait for theirs.
    if (!isNamed(error, 'ResourceInUseException')) throw error;
  }
  await waitUntilTableExists({ client, maxWaitTime: 300, minDelay: 1 }, { TableName: tableName });
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: timeToLive,
      }),
    );
  } catch (error) {
    // The runtime that won the race switched TTL on already.
    if (!/already enabled/i.test((error as Error).message)) throw error;
  }
  return 'created';
}
