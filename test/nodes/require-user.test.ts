/**
 * A connection with "require a user" (requireUser) in a real Node-RED runtime on DynamoDB Local:
 * every memory node refuses a msg without a userId, with the error at Catch and a red status,
 * before any DynamoDB call; the same msg with a userId works.
 */
import assert from 'node:assert/strict';
import type { ConsumedCapacity } from '../../lib/memory/consumed-capacity';
import { scanMemoryItems, uniqueName } from '../support/memory-table';
import { loadMemoryFlow, sent, startNodeRed, stopNodeRed, unloadFlow, type MemoryFlow, type Msg } from '../support/node-flow';

const refusal = 'MemoryInputError: userId is required: this connection requires a user in every msg; nothing was read or written';

describe('a connection that requires a user', () => {
  let flow: MemoryFlow;
  before(async () => {
    await startNodeRed();
    flow = await loadMemoryFlow(
      [
        { id: 'store', type: 'dynamodb-memory-store' },
        { id: 'history', type: 'dynamodb-memory-history' },
        { id: 'clear', type: 'dynamodb-memory-clear' },
        { id: 'preference', type: 'dynamodb-memory-preference' },
        { id: 'graph', type: 'dynamodb-memory-graph' },
        { id: 'named-graph', type: 'dynamodb-memory-graph', scope: 'graph', graph: 'venues' },
        { id: 'context', type: 'dynamodb-memory-context' },
        { id: 'export', type: 'dynamodb-memory-transfer' },
        { id: 'import', type: 'dynamodb-memory-transfer', operation: 'import' },
      ],
      { config: { requireUser: true } },
    );
  });
  after(async () => {
    await unloadFlow();
    await stopNodeRed();
  });

  /** The node refuses the msg: Catch gets the error, the status is red, no DynamoDB call was made. */
  async function refuses(nodeId: string, msg: Msg): Promise<void> {
    const before = await scanMemoryItems(flow.tableName);
    const outcome = await flow.run(nodeId, msg);
    assert.equal(outcome.error, refusal);
    assert.equal(flow.lastStatus(nodeId)?.fill, 'red');
    assert.deepEqual(outcome.caught['consumedCapacity'] as ConsumedCapacity, { readUnits: 0, writeUnits: 0, calls: [] });
    assert.deepEqual(await scanMemoryItems(flow.tableName), before);
  }

  const ids = () => ({ sessionId: uniqueName('s'), userId: uniqueName('u') });

  it('store: refuses a message without a userId, stores one with it', async () => {
    const { sessionId, userId } = ids();
    await refuses('store', { sessionId, payload: 'anonymous' });
    await refuses('store', { sessionId, userId: '', payload: 'blank user' });
    assert.equal(((await sent(flow, 'store', { sessionId, userId, payload: 'hi' }))['memory'] as Msg)['userId'], userId);
  });

  it('history: refuses a load without a userId, loads with it', async () => {
    const { sessionId, userId } = ids();
    await sent(flow, 'store', { sessionId, userId, payload: 'hi' });
    await refuses('history', { sessionId });
    assert.deepEqual((await sent(flow, 'history', { sessionId, userId }))['history'], [{ role: 'user', content: 'hi' }]);
  });

  it('clear: refuses a clear without a userId, clears with it', async () => {
    const { sessionId, userId } = ids();
    await sent(flow, 'store', { sessionId, userId, payload: 'hi' });
    await refuses('clear', { sessionId });
    assert.equal((await sent(flow, 'clear', { sessionId, userId }))['payload'], 1);
  });

  it('preference: refuses a set without a userId, sets with it', async () => {
    const { userId } = ids();
    await refuses('preference', { operation: 'set', key: 'language', payload: 'pt' });
    assert.deepEqual((await sent(flow, 'preference', { operation: 'set', userId, key: 'language', payload: 'pt' }))['preferences'], { language: 'pt' });
  });

  it("graph: refuses an entity without a userId, in the user's graph and in a named graph, upserts with it", async () => {
    const { userId } = ids();
    const payload = { id: 'blue-note', type: 'venue' };
    await refuses('graph', { payload });
    await refuses('named-graph', { payload });
    assert.equal(((await sent(flow, 'graph', { userId, payload }))['payload'] as Msg)['id'], 'blue-note');
    assert.equal(((await sent(flow, 'named-graph', { userId, payload }))['payload'] as Msg)['id'], 'blue-note');
  });

  it('transfer: refuses an export and an import without a userId, exports and imports with it', async () => {
    const { sessionId, userId } = ids();
    await sent(flow, 'store', { sessionId, userId, payload: 'hi' });
    await refuses('export', {});
    const part = (await sent(flow, 'export', { userId }))['payload'];
    await refuses('import', { payload: part });
    assert.deepEqual(((await sent(flow, 'import', { userId, payload: part }))['payload'] as Msg)['written'], {});
  });

  it('context: refuses a context or statistics without a userId, builds them with it', async () => {
    const { sessionId, userId } = ids();
    await refuses('context', { sessionId, payload: 'What do I like?' });
    await refuses('context', { operation: 'stats' });
    const out = await sent(flow, 'context', { sessionId, userId, payload: 'What do I like?' });
    assert.equal(flow.lastStatus('context')?.fill, 'green');
    assert.deepEqual((out['payload'] as { messages: Msg[] }).messages.at(-1), { role: 'user', content: 'What do I like?' });
  });
});
