/** The config node: one SDK client shared by its nodes, destroyed when the flow stops. */
import assert from 'node:assert/strict';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
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
    const flow = await loadMemoryFlow([{ id: 'store', type: 'dynamodb-memory-store' }], {
      tableName: 'created-on-first-use',
      config: { createTable: true },
    });
    assert.equal((await flow.run('store', { sessionId: 's', payload: 'hi' })).error, undefined);
  });
});
