/**
 * Whether an existing table fits this pack: its status, its keys and index gsi1 against
 * `tableDefinition()`, and TTL on `expiresAt`. Answers the config dialog's Test connection.
 */
import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type AttributeDefinition,
  type DynamoDBClient,
  type KeySchemaElement,
  type TableDescription,
  type TimeToLiveDescription,
} from '@aws-sdk/client-dynamodb';
import { attribute, tableDefinition, userIndex } from './table-layout';

/** ok: as the pack needs it; warn: works, but not as intended; fail: the pack cannot use it. */
export type CheckState = 'ok' | 'warn' | 'fail';

export interface TableCheck {
  check: 'status' | 'keys' | 'index' | 'ttl';
  state: CheckState;
  detail: string;
}

/**
 * Keys in one canonical wording (partition key first), used both to compare and to report:
 * e.g. `partition key pk (S), sort key sk (S)`.
 */
function keyWording(keys: KeySchemaElement[] | undefined, types: AttributeDefinition[] | undefined): string {
  const typeOf = (name: string | undefined) => types?.find((d) => d.AttributeName === name)?.AttributeType ?? '?';
  const wording = [...(keys ?? [])]
    .sort((a, b) => (a.KeyType === b.KeyType ? 0 : a.KeyType === 'HASH' ? -1 : 1))
    .map((k) => `${k.KeyType === 'HASH' ? 'partition' : 'sort'} key ${k.AttributeName} (${typeOf(k.AttributeName)})`)
    .join(', ');
  return wording || 'no keys';
}

function statusCheck(tableName: string, status: string | undefined): TableCheck {
  if (status === 'ACTIVE' || status === 'UPDATING') return { check: 'status', state: 'ok', detail: `table "${tableName}" is ${status}` };
  if (status === 'CREATING') return { check: 'status', state: 'warn', detail: `table "${tableName}" is still being created: try again in a minute` };
  return { check: 'status', state: 'fail', detail: `table "${tableName}" is ${status ?? 'in an unknown state'}: the pack cannot use it` };
}

function ttlCheck(ttl: TimeToLiveDescription | undefined): TableCheck {
  const status = ttl?.TimeToLiveStatus ?? 'DISABLED';
  const on = status === 'ENABLED' || status === 'ENABLING';
  if (on && ttl?.AttributeName === attribute.expiresAt) {
    return { check: 'ttl', state: 'ok', detail: `TTL is ${status === 'ENABLED' ? 'on' : 'being switched on'} for attribute ${attribute.expiresAt}` };
  }
  if (on) {
    return {
      check: 'ttl',
      state: 'warn',
      detail: `TTL is on for attribute "${ttl?.AttributeName}", not ${attribute.expiresAt}: expired messages stay in the table (history still leaves them out)`,
    };
  }
  return {
    check: 'ttl',
    state: 'warn',
    detail: `TTL is ${status === 'DISABLING' ? 'being switched off' : 'off'}: expired messages stay in the table (history still leaves them out); turn TTL on for attribute ${attribute.expiresAt}`,
  };
}

/** Compares a described table with what this pack creates; one check per aspect. */
export function checkTable(tableName: string, table: TableDescription, ttl: TimeToLiveDescription | undefined): TableCheck[] {
  const required = tableDefinition(tableName);
  const types = table.AttributeDefinitions;
  const requiredKeys = keyWording(required.KeySchema, required.AttributeDefinitions);
  const actualKeys = keyWording(table.KeySchema, types);
  const keys: TableCheck =
    requiredKeys === actualKeys
      ? { check: 'keys', state: 'ok', detail: actualKeys }
      : { check: 'keys', state: 'fail', detail: `the table's keys are ${actualKeys}; this pack needs ${requiredKeys}: use another table name, or let Create table make one` };

  const requiredIndex = required.GlobalSecondaryIndexes!.find((i) => i.IndexName === userIndex)!;
  const index = table.GlobalSecondaryIndexes?.find((i) => i.IndexName === userIndex);
  const requiredIndexKeys = keyWording(requiredIndex.KeySchema, required.AttributeDefinitions);
  const requiredProjection = requiredIndex.Projection?.ProjectionType;
  let indexCheck: TableCheck;
  if (!index) {
    indexCheck = {
      check: 'index',
      state: 'fail',
      detail: `index ${userIndex} is missing; this pack needs it (${requiredIndexKeys}, projection ${requiredProjection}) for a user's sessions and graph relations`,
    };
  } else if (keyWording(index.KeySchema, types) !== requiredIndexKeys) {
    indexCheck = {
      check: 'index',
      state: 'fail',
      detail: `index ${userIndex} has ${keyWording(index.KeySchema, types)}; this pack needs ${requiredIndexKeys}`,
    };
  } else if (index.Projection?.ProjectionType !== requiredProjection) {
    indexCheck = {
      check: 'index',
      state: 'fail',
      detail: `index ${userIndex} projects ${index.Projection?.ProjectionType ?? 'nothing'}; this pack needs ${requiredProjection}`,
    };
  } else {
    indexCheck = { check: 'index', state: 'ok', detail: `${userIndex}: ${requiredIndexKeys}, projection ${requiredProjection}` };
  }
  return [statusCheck(tableName, table.TableStatus), keys, indexCheck, ttlCheck(ttl)];
}

/** Whether the pack can use the table (warnings allowed). */
export function tableUsable(checks: TableCheck[]): boolean {
  return checks.every((c) => c.state !== 'fail');
}

/** Describes the table and its TTL, and checks them; rejects with the SDK's error (e.g. no such table). */
export async function inspectTable(client: DynamoDBClient, tableName: string): Promise<TableCheck[]> {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  const { TimeToLiveDescription } = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
  return checkTable(tableName, Table ?? {}, TimeToLiveDescription);
}
