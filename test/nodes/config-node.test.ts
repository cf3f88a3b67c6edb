/** The config node: one SDK client shared by its nodes, destroyed when the flow stops. */
import assert from 'node:assert/strict';
import { DescribeTimeToLiveCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { timeToLive } from '../../lib/memory/table-layout';
import { localConnection, scanMemoryItems, tableStatus, uniqueName } from '../support/memory-table';
import type { MemoryConfigNode } from '../../lib/node-red/memory-config';
import { loadMemoryFlow, startNodeRed, stopNodeRed, unloadFlow } from '../support/node-flow';

describe('config node', () => {
  before(startNodeRed);
  after(stopNodeRed);
  afterEach(unloadFlow);

  it('gives every node the same memory, and destroys its client on close', async () => {
    const flow = await loadMemoryFlow([
      { id: 'store', type: 'dynamodb-memory-store' },
      { id: 'history', type: 'dynamodb-memory-history' },
    ]);
    const config = flow.node('config') as MemoryConfigNode;
    const [a, b] = await Promise.all([config.memory(), config.memory()]);
    assert.equal(a, b);
    assert.equal((await flow.run('store', { sessionId: 'shared', payload: 'hi' })).error, undefined);
    let destroyed = 0;
    const destroy = DynamoDBClient.prototype.destroy;
    DynamoDBClient.prototype.destroy = function (this: DynamoDBClient) {
      destroyed++;
      destroy.call(this);
    };
    try {
      await unloadFlow();
    } finally {
      DynamoDBClient.prototype.destroy = destroy;
    }
    assert.equal(destroyed, 1);
  });

  it('creates the table when it is missing and the node is set to', async () => {
    const tableName = uniqueName('created-on-first-use');
    assert.equal(await tableStatus(tableName), 'missing');
    const flow = await loadMemoryFlow([{ id: 'store', type: 'dynamodb-memory-store' }], {
      tableName,
      tableFirst: false,
      config: { createTable: true },
    });
    assert.equal((await flow.run('store', { sessionId: 's', payload: 'hi' })).error, undefined);
    assert.equal(await tableStatus(tableName), 'ACTIVE');
    assert.deepEqual(await ttlOf(tableName), { AttributeName: timeToLive.AttributeName, TimeToLiveStatus: 'ENABLED' });
    const messages = (await scanMemoryItems(tableName)).filter((item) => item['kind'] === 'message');
    assert.deepEqual(messages.map((m) => [m['sessionId'], m['content']]), [['s', 'hi']]);
  });

  it('leaves a missing table missing when the node is not set to create it', async () => {
    const tableName = uniqueName('never-created');
    const flow = await loadMemoryFlow([{ id: 'store', type: 'dynamodb-memory-store' }], {
      tableName,
      tableFirst: false,
      config: { createTable: false },
    });
    assert.match((await flow.run('store', { sessionId: 's', payload: 'hi' })).error ?? 'no error', new RegExp(tableName));
    assert.equal(await tableStatus(tableName), 'missing');
  });
});

async function ttlOf(tableName: string): Promise<unknown> {
  const connection = localConnection();
  try {
    return (await connection.client.send(new DescribeTimeToLiveCommand({ TableName: tableName }))).TimeToLiveDescription;
  } finally {
    connection.client.destroy();
  }
}
