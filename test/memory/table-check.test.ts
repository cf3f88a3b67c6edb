/** checkTable: a described table against tableDefinition(), without DynamoDB. */
import assert from 'node:assert/strict';
import type { TableDescription, TimeToLiveDescription } from '@aws-sdk/client-dynamodb';
import { checkTable, tableUsable } from '../../lib/memory/table-check';
import { tableDefinition } from '../../lib/memory/table-layout';

/** What DescribeTable answers for a table CreateTable made from tableDefinition(). */
function asCreated(): TableDescription {
  const { AttributeDefinitions, KeySchema, GlobalSecondaryIndexes } = tableDefinition('t');
  return {
    TableName: 't',
    TableStatus: 'ACTIVE',
    AttributeDefinitions,
    KeySchema,
    GlobalSecondaryIndexes: GlobalSecondaryIndexes!.map((i) => ({ ...i, IndexStatus: 'ACTIVE' })),
  };
}

const ttlOn: TimeToLiveDescription = { TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' };

function stateOf(table: TableDescription, ttl: TimeToLiveDescription | undefined = ttlOn) {
  return Object.fromEntries(checkTable('t', table, ttl).map((c) => [c.check, c.state]));
}

describe('table check', () => {
  it('passes the table this pack creates, whatever order the keys are listed in', () => {
    const table = asCreated();
    table.KeySchema = [...table.KeySchema!].reverse();
    assert.deepEqual(stateOf(table), { status: 'ok', keys: 'ok', index: 'ok', ttl: 'ok' });
    assert.equal(tableUsable(checkTable('t', table, ttlOn)), true);
  });

  it('fails keys of another type or name', () => {
    const numeric = asCreated();
    numeric.AttributeDefinitions = numeric.AttributeDefinitions!.map((d) => (d.AttributeName === 'sk' ? { ...d, AttributeType: 'N' } : d));
    assert.equal(stateOf(numeric)['keys'], 'fail');
    const renamed = asCreated();
    renamed.KeySchema = [{ AttributeName: 'pk', KeyType: 'HASH' }];
    const checks = checkTable('t', renamed, ttlOn);
    assert.equal(tableUsable(checks), false);
    assert.match(checks.find((c) => c.check === 'keys')!.detail, /keys are partition key pk \(S\); this pack needs partition key pk \(S\), sort key sk \(S\)/);
  });

  it('fails a missing index, an index on other keys, and one that does not project everything', () => {
    assert.equal(stateOf({ ...asCreated(), GlobalSecondaryIndexes: [] })['index'], 'fail');
    const otherKeys = asCreated();
    otherKeys.GlobalSecondaryIndexes![0]!.KeySchema = [{ AttributeName: 'gsi1pk', KeyType: 'HASH' }];
    assert.equal(stateOf(otherKeys)['index'], 'fail');
    const keysOnly = asCreated();
    keysOnly.GlobalSecondaryIndexes![0]!.Projection = { ProjectionType: 'KEYS_ONLY' };
    const detail = checkTable('t', keysOnly, ttlOn).find((c) => c.check === 'index')!.detail;
    assert.equal(detail, 'index gsi1 projects KEYS_ONLY; this pack needs ALL');
  });

  it('warns when TTL is off or on another attribute, and while the table is being created', () => {
    assert.equal(stateOf(asCreated(), { TimeToLiveStatus: 'DISABLED' })['ttl'], 'warn');
    assert.equal(checkTable('t', asCreated(), undefined).find((c) => c.check === 'ttl')!.state, 'warn');
    assert.equal(stateOf(asCreated(), { TimeToLiveStatus: 'ENABLED', AttributeName: 'ttl' })['ttl'], 'warn');
    assert.equal(stateOf(asCreated(), { TimeToLiveStatus: 'ENABLING', AttributeName: 'expiresAt' })['ttl'], 'ok');
    assert.equal(stateOf({ ...asCreated(), TableStatus: 'CREATING' })['status'], 'warn');
    assert.equal(stateOf({ ...asCreated(), TableStatus: 'DELETING' })['status'], 'fail');
    assert.equal(tableUsable(checkTable('t', asCreated(), { TimeToLiveStatus: 'DISABLED' })), true);
  });
});
