/**
 * msg.consumedCapacity: every memory node puts on the msg what its DynamoDB calls consumed, as
 * DynamoDB reported it, per call and in total, also on the msg a Catch node gets.
 */
import assert from 'node:assert/strict';
import type { ConsumedCapacity } from '../../lib/memory/consumed-capacity';
import { uniqueName } from '../support/memory-table';
import { loadMemoryFlow, sent, startNodeRed, stopNodeRed, unloadFlow, type MemoryFlow } from '../support/node-flow';

const nodes = [
  { id: 'store', type: 'dynamodb-memory-store' as const },
  { id: 'history', type: 'dynamodb-memory-history' as const },
  { id: 'preference', type: 'dynamodb-memory-preference' as const },
];

describe('consumed capacity on the msg', () => {
  let flow: MemoryFlow;
  before(startNodeRed);
  after(stopNodeRed);
  beforeEach(async () => (flow = await loadMemoryFlow(nodes)));
  afterEach(unloadFlow);

  it('a store reports its transaction as write units, a history its query as read units', async () => {
    const sessionId = uniqueName('s');
    await sent(flow, 'store', { sessionId, payload: 'first' });
    const stored = (await sent(flow, 'store', { sessionId, payload: 'Hi, I am Ana' }))['consumedCapacity'] as ConsumedCapacity;
    assert.deepEqual(stored.calls.map((call) => call.operation), ['TransactWriteItems'], 'a store into an existing session is one transaction');
    assert.ok(stored.writeUnits > 0 && stored.readUnits === 0, JSON.stringify(stored));
    assert.equal(stored.writeUnits, stored.calls[0]!.writeUnits);
    const loaded = (await sent(flow, 'history', { sessionId }))['consumedCapacity'] as ConsumedCapacity;
    // Without a userId the query itself meets a forget mark when there is one: no call beside it.
    assert.deepEqual(loaded.calls.map((call) => call.operation), ['Query']);
    assert.equal(loaded.writeUnits, 0);
    assert.equal(loaded.readUnits, 0.5, 'an eventually consistent Query of two small items: half a read unit');
  });

  it('a msg refused after a read still says what the read cost', async () => {
    const sessionId = uniqueName('s');
    await sent(flow, 'store', { sessionId, userId: 'ana', payload: 'mine' });
    const outcome = await flow.run('history', { sessionId, userId: 'bob' });
    assert.ok(outcome.error !== undefined, 'bob may not read ana\'s session');
    const capacity = outcome.caught['consumedCapacity'] as ConsumedCapacity;
    assert.ok(capacity.calls.some((call) => call.operation === 'GetItem' && call.readUnits === 1), JSON.stringify(capacity));
  });

  it('a node that makes several calls lists each, with the index writes apart', async () => {
    const userId = uniqueName('u');
    const set = (await sent(flow, 'preference', { operation: 'set', userId, key: 'city', payload: 'Lisbon' }))['consumedCapacity'] as ConsumedCapacity;
    // The key and, beside it, whether the user is being forgotten; the write; the user's preferences.
    assert.deepEqual(set.calls.map((call) => call.operation).sort(), ['GetItem', 'GetItem', 'Query', 'TransactWriteItems']);
    const total = set.calls.reduce((sum, call) => sum + call.writeUnits, 0);
    assert.equal(set.writeUnits, total);
    const sessionId = uniqueName('s');
    const first = (await sent(flow, 'store', { sessionId, userId, payload: 'hello' }))['consumedCapacity'] as ConsumedCapacity;
    const transaction = first.calls.filter((call) => call.operation === 'TransactWriteItems').pop()!;
    assert.ok((transaction.indexes?.['gsi1']?.writeUnits ?? 0) > 0, 'the session item of a user is written to index gsi1: ' + JSON.stringify(first));
    assert.equal(transaction.writeUnits, transaction.table.writeUnits + transaction.indexes!['gsi1']!.writeUnits);
  });
});
