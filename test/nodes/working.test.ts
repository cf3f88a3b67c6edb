/**
 * The working memory node (`dynamodb-memory-working`) in a real Node-RED runtime on DynamoDB Local:
 * the msg contract of each operation, the node's capacity and policy, and bad input refused before
 * anything is written. (The test helper loads no message catalogs, so statuses are checked by colour.)
 */
import assert from 'node:assert/strict';
import { uniqueName } from '../support/memory-table';
import { loadMemoryFlow, refusesBadInput, sent, startNodeRed, stopNodeRed, unloadFlow, type MemoryFlow, type Msg } from '../support/node-flow';

describe('working memory node (dynamodb-memory-working)', () => {
  let flow: MemoryFlow;
  let namespace: string;
  before(startNodeRed);
  after(stopNodeRed);
  beforeEach(async () => {
    namespace = uniqueName('ns');
    flow = await loadMemoryFlow([
      { id: 'wm', type: 'dynamodb-memory-working', scope: 'named', namespace, capacity: '2', policy: 'importance' },
      { id: 'session-wm', type: 'dynamodb-memory-working', scope: 'session', capacity: '', ttlSeconds: '3600' },
      { id: 'store', type: 'dynamodb-memory-store' },
    ]);
  });
  afterEach(unloadFlow);

  const send = (msg: Msg) => sent(flow, 'wm', msg);

  it('adds to the node\'s capacity, evicting the least important, with msg.working; gets, lists, removes', async () => {
    const first = (await send({ payload: { text: 'budget is 200 euros', importance: 3 } })) as { payload: Msg; working: Msg };
    assert.equal(first.payload['text'], 'budget is 200 euros');
    assert.deepEqual(first.working, { stored: true, evicted: [], expiredRemoved: 0 });
    await send({ payload: 'the user cannot travel before Friday', importance: 9 });
    const third = (await send({ payload: { text: 'the user prefers trains', importance: 6 } })) as { working: { evicted: Msg[] } };
    assert.deepEqual(third.working.evicted.map((e) => e['text']), ['budget is 200 euros']);
    assert.equal(flow.lastStatus('wm')?.fill, 'green');
    const listed = await send({ operation: 'list', order: 'importance' });
    assert.deepEqual((listed['payload'] as Msg[]).map((e) => e['text']), ['the user cannot travel before Friday', 'the user prefers trains']);
    const id = (listed['payload'] as Msg[])[1]!['id'];
    const got = await send({ operation: 'get', workingId: id });
    assert.equal((got['payload'] as Msg)['accessCount'], 1);
    await send({ operation: 'remove', payload: { id } });
    assert.equal(((await send({ operation: 'list' }))['payload'] as Msg[]).length, 1);
  });

  it('appends reasoning steps, reads them back in order, and clears the scope', async () => {
    for (const text of ['find trains', 'compare prices', 'pick the cheapest']) await send({ operation: 'step', payload: text });
    const steps = await send({ operation: 'steps' });
    assert.deepEqual((steps['payload'] as Msg[]).map((s) => s['text']), ['find trains', 'compare prices', 'pick the cheapest']);
    await send({ payload: 'an entry' });
    const cleared = await send({ operation: 'clear' });
    assert.deepEqual(cleared['payload'], { entries: 1, steps: 3 });
    assert.deepEqual((await send({ operation: 'steps' }))['payload'], []);
  });

  it('keeps a session\'s working memory in the session (msg.sessionId), with the default capacity and the node\'s TTL', async () => {
    const sessionId = uniqueName('s');
    const userId = uniqueName('u');
    await sent(flow, 'store', { sessionId, userId, payload: 'plan my trip' });
    const added = (await sent(flow, 'session-wm', { sessionId, userId, payload: 'Porto' })) as { payload: Msg };
    assert.equal(added.payload['scope'], 'session');
    assert.ok(added.payload['expiresAt']);
    const other = await flow.run('session-wm', { sessionId, userId: 'someone-else', operation: 'list' });
    assert.match(other.error ?? '', /another user/);
  });

  describe('refuses bad input before writing anything', () => {
    refusesBadInput(() => flow, 'wm', [
      ['an unknown operation', { operation: 'drop' }, /operation/],
      ['an add without a text', { payload: {} }, /text/],
      ['an importance out of range', { payload: { text: 'x', importance: 11 } }, /importance/],
      ['a get without an id', { operation: 'get' }, /id/],
      ['a list in an unknown order', { operation: 'list', order: 'random' }, /order/],
    ]);
  });
});
