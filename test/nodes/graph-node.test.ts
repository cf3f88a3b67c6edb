/** The graph link node in a real Node-RED runtime on DynamoDB Local. */
import assert from 'node:assert/strict';
import { scanTable, uniqueName } from '../support/memory-table';
import { loadMemoryFlow, sent, startNodeRed, stopNodeRed, unloadFlow, type MemoryFlow, type Msg } from '../support/node-flow';

const graphItemsIn = async (tableName: string) => (await scanTable(tableName)).filter((i) => String(i['pk']).startsWith('GRAPH#'));



describe('graph link node', () => {
  let flow: MemoryFlow;
  before(startNodeRed);
  after(stopNodeRed);
  beforeEach(async () => (flow = await loadMemoryFlow([
    { id: 'graph', type: 'dynamodb-memory-graph', operation: 'msg' },
    { id: 'delete', type: 'dynamodb-memory-graph', operation: 'unlink', unlinkMode: 'delete' },
    { id: 'venues', type: 'dynamodb-memory-graph', operation: 'msg', scope: 'graph', graph: 'venues' },
    { id: 'byName', type: 'dynamodb-memory-graph', operation: 'entity', scope: 'graph', graph: 'graphName', graphType: 'msg' },
  ])));
  afterEach(unloadFlow);

  it('upserts, links, lists neighbours, unlinks and lists them again', async () => {
    const userId = uniqueName('u');
    const run = (operation: string, payload: unknown) => sent(flow, 'graph', { userId, operation, payload, topic: 'kept' });
    const ana = await run('entity', { id: 'ana', type: 'person', aliases: ['Ana'] });
    assert.equal((ana['payload'] as Msg)['id'], 'ana');
    assert.equal(ana['topic'], 'kept');
    await run('entity', { id: 'blue-note', type: 'venue', properties: { city: 'New York' } });
    const linked = await run('link', { source: 'ana', relation: 'likes', target: 'blue-note', validFrom: '2020-01-01T00:00:00Z' });
    assert.equal((linked['payload'] as Msg)['validFrom'], '2020-01-01T00:00:00.000Z');
    assert.equal(flow.lastStatus('graph')?.fill, 'green');
    const before = (await run('neighbours', { id: 'ana' }))['payload'] as { edges: Msg[]; entities: Msg[] };
    assert.deepEqual(before.edges.map((e) => [e['direction'], e['relation'], e['target']]), [['out', 'likes', 'blue-note']]);
    assert.deepEqual(before.entities.map((e) => [e['id'], e['properties']]), [['blue-note', { city: 'New York' }]]);
    const incoming = (await run('neighbours', { id: 'blue-note', direction: 'in' }))['payload'] as { entities: Msg[] };
    assert.deepEqual(incoming.entities.map((e) => e['id']), ['ana']);
    const unlinked = await run('unlink', { source: 'ana', relation: 'likes', target: 'blue-note' });
    assert.equal((unlinked['payload'] as Msg)['unlinked'], true);
    assert.equal(((await run('neighbours', { id: 'ana' }))['payload'] as { edges: Msg[] }).edges.length, 0);
    assert.equal(((await run('neighbours', { id: 'ana', at: '2021-01-01T00:00:00Z' }))['payload'] as { edges: Msg[] }).edges.length, 1);
    const listed = (await run('relations', { relation: 'likes' }))['payload'] as { edges: Msg[] };
    assert.deepEqual(listed.edges.map((e) => e['target']), ['blue-note']);
  });

  it('deletes both items when the node is set to delete', async () => {
    const userId = uniqueName('u');
    for (const id of ['ana', 'jazz']) await sent(flow, 'graph', { userId, operation: 'entity', payload: { id, type: 't' } });
    await sent(flow, 'graph', { userId, operation: 'link', payload: { source: 'ana', relation: 'likes', target: 'jazz' } });
    const out = await sent(flow, 'delete', { userId, payload: { source: 'ana', relation: 'likes', target: 'jazz' } });
    assert.deepEqual(out['payload'], { source: 'ana', relation: 'likes', target: 'jazz', mode: 'delete', unlinked: true });
    const left = (await graphItemsIn(flow.tableName)).filter((i) => i['pk'] === `GRAPH#USER#${userId}`);
    assert.deepEqual(left.map((i) => i['sk']).sort(), ['ENTITY#ana', 'ENTITY#jazz']);
  });

  it("keeps a named graph apart from users' graphs", async () => {
    await sent(flow, 'venues', { operation: 'entity', payload: { id: 'blue-note', type: 'venue' } });
    await sent(flow, 'venues', { operation: 'entity', payload: { id: 'nyc', type: 'city' } });
    await sent(flow, 'venues', { operation: 'link', payload: { source: 'blue-note', relation: 'in', target: 'nyc' } });
    const items = await graphItemsIn(flow.tableName);
    assert.equal(items.filter((i) => i['pk'] === 'GRAPH#NAMED#venues').length, 4);
    const listed = (await sent(flow, 'venues', { operation: 'relations', payload: { relation: 'in' } }))['payload'] as { edges: Msg[] };
    assert.equal(listed.edges.length, 1);
    const userView = (await sent(flow, 'graph', { userId: 'someone', operation: 'relations', payload: { relation: 'in' } }))['payload'] as { edges: Msg[] };
    assert.equal(userView.edges.length, 0);
  });

  it('reads a named graph\'s name where its TypedInput says (here msg.graphName)', async () => {
    await sent(flow, 'byName', { graphName: 'cities', payload: { id: 'lisbon', type: 'city' } });
    await sent(flow, 'byName', { graphName: 'people', payload: { id: 'ana', type: 'person' } });
    const items = await graphItemsIn(flow.tableName);
    assert.deepEqual(items.filter((i) => String(i['pk']).startsWith('GRAPH#NAMED#')).map((i) => [i['pk'], i['sk']]).sort(), [
      ['GRAPH#NAMED#cities', 'ENTITY#lisbon'],
      ['GRAPH#NAMED#people', 'ENTITY#ana'],
    ]);
    assert.match((await flow.run('byName', { payload: { id: 'x', type: 'y' } })).error ?? '', /graph is required/);
  });

  describe('bad input reaches Catch, turns the status red and writes nothing', () => {
    const big = 'x'.repeat(410 * 1024);
    const cases: Array<[string, (userId: string) => Msg, RegExp]> = [
      ['a missing user id', () => ({ operation: 'entity', payload: { id: 'ana', type: 'person' } }), /userId is required/],
      ['a missing operation', (userId) => ({ userId, payload: { id: 'ana', type: 'person' } }), /operation is required/],
      ['an unknown operation', (userId) => ({ userId, operation: 'merge', payload: {} }), /operation: must be one of/],
      ['a missing payload', (userId) => ({ userId, operation: 'entity' }), /payload is required/],
      ['a __proto__ key in entity properties', (userId) => ({ userId, operation: 'entity', payload: JSON.parse('{"id":"ana","type":"person","properties":{"__proto__":{"x":1}}}') }), /__proto__/],
      ['a __proto__ key in link properties', (userId) => ({ userId, operation: 'link', payload: JSON.parse('{"source":"a","relation":"r","target":"b","properties":{"n":{"__proto__":1}}}') }), /__proto__/],
      ['an entity id with #', (userId) => ({ userId, operation: 'entity', payload: { id: 'a#b', type: 'person' } }), /payload\.id: must be a non-empty string/],
      ['a relation with #', (userId) => ({ userId, operation: 'link', payload: { source: 'a', relation: 'OUT#x', target: 'b' } }), /payload\.relation: must be a non-empty string/],
      ['a target with a control character', (userId) => ({ userId, operation: 'link', payload: { source: 'a', relation: 'r', target: 'b\u0000' } }), /payload\.target: must be a non-empty string/],
      ['a user id with a newline', () => ({ userId: 'ana\n', operation: 'entity', payload: { id: 'a', type: 't' } }), /userId: must be a non-empty string/],
      ['entity properties too large for one item', (userId) => ({ userId, operation: 'entity', payload: { id: 'ana', type: 'person', properties: { note: big } } }), /at most 400 KB/],
      ['link properties too large for one item', (userId) => ({ userId, operation: 'link', payload: { source: 'ana', relation: 'likes', target: 'jazz', properties: { note: big } } }), /at most 400 KB/],
      ['a link to an entity that does not exist', (userId) => ({ userId, operation: 'link', payload: { source: 'ana', relation: 'likes', target: 'nobody' } }), /entity "nobody" is not in this graph/],
      ['a neighbours request with a bad time', (userId) => ({ userId, operation: 'neighbours', payload: { id: 'ana', at: 'soon' } }), /payload\.at: must be an ISO 8601/],
      ['an unknown payload property', (userId) => ({ userId, operation: 'unlink', payload: { source: 'a', relation: 'r', target: 'b', mode: 'delete' } }), /unknown property "mode"/],
    ];
    for (const [what, msg, message] of cases) {
      it(what, async () => {
        const userId = uniqueName('bad');
        // The entities exist, so only the bad input can be the reason nothing is written.
        for (const id of ['ana', 'jazz']) await sent(flow, 'graph', { userId, operation: 'entity', payload: { id, type: 't' } });
        const before = await graphItemsIn(flow.tableName);
        const outcome = await flow.run('graph', msg(userId));
        assert.match(outcome.error ?? 'no error', message);
        assert.equal(flow.lastStatus('graph')?.fill, 'red');
        assert.deepEqual(await graphItemsIn(flow.tableName), before);
      });
    }
  });
});
