/**
 * The memories node (`dynamodb-memory-recall`) in a real Node-RED runtime on DynamoDB Local: the msg
 * contract of each operation, its scopes, bad input refused before anything is written, and a
 * recall that sends the msg on before it writes the access counts. (The test helper loads no
 * message catalogs, so statuses are checked by colour.)
 */
import assert from 'node:assert/strict';
import { uniqueName } from '../support/memory-table';
import type { MemoryConfigNode } from '../../lib/node-red/memory-config';
import { loadMemoryFlow, refusesBadInput, sent, startNodeRed, stopNodeRed, unloadFlow, type MemoryFlow, type Msg } from '../support/node-flow';

const facts = ['Ana is allergic to peanuts', 'Ana lives in Lisbon', 'Ana plays the cello in an orchestra'];

/** A 3-number embedding pointing mostly along axis i. */
const axis = (i: number) => [0, 1, 2].map((j) => (j === i ? 1 : 0.05));

describe('memories node (dynamodb-memory-recall)', () => {
  let flow: MemoryFlow;
  before(startNodeRed);
  after(stopNodeRed);
  beforeEach(async () => (flow = await loadMemoryFlow([{ id: 'mem', type: 'dynamodb-memory-recall' }])));
  afterEach(unloadFlow);

  const remember = (userId: string, payload: unknown, extra: Msg = {}) => sent(flow, 'mem', { operation: 'remember', userId, payload, ...extra });

  it('remembers one text, one record and an array, with the stored records as msg.payload', async () => {
    const userId = uniqueName('u');
    const one = (await remember(userId, 'Ana is allergic to peanuts')) as { payload: Msg };
    assert.equal(one.payload['text'], 'Ana is allergic to peanuts');
    assert.equal(one.payload['embedder'], 'hashed-ngrams-v1');
    assert.match(String(one.payload['id']), /^[0-9A-Z]{26}$/);
    const record = (await remember(userId, { text: 'Ana likes oat milk', kind: 'preference', importance: 8, metadata: { source: 'chat' } })) as { payload: Msg };
    assert.deepEqual([record.payload['kind'], record.payload['importance'], record.payload['metadata']], ['preference', 8, { source: 'chat' }]);
    const many = (await remember(userId, ['Ana lives in Lisbon', { text: 'Ana plays the cello' }])) as { payload: Msg[] };
    assert.ok(Array.isArray(many.payload));
    assert.deepEqual(many.payload.map((r) => r['text']), ['Ana lives in Lisbon', 'Ana plays the cello']);
    assert.equal(flow.lastStatus('mem')?.fill, 'green');
    const listed = await sent(flow, 'mem', { operation: 'list', userId });
    assert.equal((listed['payload'] as Msg[]).length, 4);
  });

  it('merges a near-duplicate (default 0.9) and sends a possible contradiction (default 0.6) on output 2 for review as well as on output 1', async () => {
    const userId = uniqueName('u');
    const first = (await remember(userId, { text: 'I live in Lisbon', kind: 'home' })) as { payload: Msg };
    assert.equal(first.payload['outcome'], 'added');
    const again = await flow.runBoth('mem', { operation: 'remember', userId, payload: { text: 'i live in Lisbon!', kind: 'home', sourceMessageIds: ['m2'] } });
    assert.equal(again.second, undefined, 'nothing to review');
    const merged = again.sent!['payload'] as Msg;
    assert.deepEqual([merged['outcome'], merged['id'], merged['accessCount'], merged['sourceMessageIds']], ['merged', first.payload['id'], 1, ['m2']]);
    const moved = await flow.runBoth('mem', { operation: 'remember', userId, topic: 'home', payload: { text: 'I live in Porto', kind: 'home' } });
    const added = moved.sent!['payload'] as Msg;
    assert.deepEqual([added['outcome'], added['contradicts']], ['added', [first.payload['id']]]);
    const review = moved.second!;
    assert.equal(review['topic'], 'home', 'a copy of the msg');
    const { records, contradicted } = review['payload'] as { records: Msg[]; contradicted: Msg[] };
    assert.deepEqual(records.map((r) => r['text']), ['I live in Porto']);
    assert.deepEqual(contradicted.map((r) => [r['id'], r['text']]), [[first.payload['id'], 'I live in Lisbon']]);
    assert.ok((contradicted[0]!['similarity'] as number) > 0.6);
    const listed = await sent(flow, 'mem', { operation: 'list', userId });
    assert.equal((listed['payload'] as Msg[]).length, 2, 'merged, not copied; the contradiction stored');
  });

  it('supersedes what a remember contradicts with "On a contradiction: supersede", or msg.onContradiction; msg.onContradiction "flag" only flags', async () => {
    const userId = uniqueName('u');
    const lisbon = ((await remember(userId, { text: 'I live in Lisbon', kind: 'home' })) as { payload: Msg }).payload;
    const flagged = await flow.runBoth('mem', { operation: 'remember', userId, payload: { text: 'I live in Braga', kind: 'home' } });
    assert.equal((flagged.sent!['payload'] as Msg)['supersedes'], undefined, 'the default flags');
    const braga = flagged.sent!['payload'] as Msg;
    const moved = await flow.runBoth('mem', { operation: 'remember', userId, onContradiction: 'supersede', payload: { text: 'I live in Porto', kind: 'home' } });
    const porto = moved.sent!['payload'] as Msg;
    assert.deepEqual([...(porto['supersedes'] as string[])].sort(), [lisbon['id'], braga['id']].sort());
    const { records, contradicted } = moved.second!['payload'] as { records: Msg[]; contradicted: Msg[] };
    assert.deepEqual(records.map((r) => r['id']), [porto['id']], 'the review shows the supersession');
    assert.ok(contradicted.every((r) => r['validTo'] === porto['createdAt']));
    const recalled = await sent(flow, 'mem', { userId, payload: 'I live in', kind: 'home' });
    assert.deepEqual((recalled['payload'] as Msg[]).map((r) => r['text']), ['I live in Porto']);

    await unloadFlow();
    flow = await loadMemoryFlow([{ id: 'mem', type: 'dynamodb-memory-recall', onContradiction: 'supersede' }]);
    const other = uniqueName('u');
    const faro = ((await remember(other, { text: 'I live in Faro', kind: 'home' })) as { payload: Msg }).payload;
    const kept = ((await remember(other, { text: 'I live in Evora', kind: 'home' }, { onContradiction: 'flag' })) as { payload: Msg }).payload;
    assert.deepEqual([kept['contradicts'], kept['supersedes']], [[faro['id']], undefined], 'msg.onContradiction wins over the node');
    const ended = ((await remember(other, { text: 'I live in Porto', kind: 'home' })) as { payload: Msg }).payload;
    assert.deepEqual([...(ended['supersedes'] as string[])].sort(), [faro['id'], kept['id']].sort(), 'the node setting');
  });

  it('adds every record when both settings are blank', async () => {
    flow = await (async () => {
      await unloadFlow();
      return loadMemoryFlow([{ id: 'mem', type: 'dynamodb-memory-recall', mergeAbove: '', contradictionAbove: '' }]);
    })();
    const userId = uniqueName('u');
    await remember(userId, { text: 'I live in Lisbon', kind: 'home' });
    const twice = await flow.runBoth('mem', { operation: 'remember', userId, payload: { text: 'I live in Lisbon', kind: 'home' } });
    assert.equal((twice.sent!['payload'] as Msg)['outcome'], undefined);
    const moved = await flow.runBoth('mem', { operation: 'remember', userId, payload: { text: 'I live in Porto', kind: 'home' } });
    assert.equal(moved.second, undefined);
    const listed = await sent(flow, 'mem', { operation: 'list', userId });
    assert.equal((listed['payload'] as Msg[]).length, 3);
  });

  it('remembers with msg.embedding (one vector, or one per record) and recalls by msg.embedding', async () => {
    const userId = uniqueName('u');
    const single = (await remember(userId, 'the x one', { embedding: axis(0), embedder: 'test-3d' })) as { payload: Msg };
    assert.deepEqual([single.payload['embedder'], single.payload['dimension']], ['test-3d', 3]);
    const pair = (await remember(userId, ['the y one', 'the z one'], { embedding: [axis(1), axis(2)], embedder: 'test-3d' })) as { payload: Msg[] };
    assert.deepEqual(pair.payload.map((r) => r['dimension']), [3, 3]);
    const found = await sent(flow, 'mem', { userId, payload: 'anything', embedding: axis(2), embedder: 'test-3d', k: 1 });
    assert.deepEqual((found['payload'] as Msg[]).map((r) => r['text']), ['the z one']);
  });

  it('recalls the relevant record first, scored, with msg.recall; the access count is written before done', async () => {
    const userId = uniqueName('u');
    await remember(userId, facts);
    const outcome = await flow.runBoth('mem', { userId, payload: 'does Ana have a peanut allergy?', k: 2 });
    assert.equal(outcome.error, undefined);
    const best = outcome.sent!['payload'] as Array<Msg & { score: number; similarity: number }>;
    assert.equal(best.length, 2);
    assert.equal(best[0]!['text'], 'Ana is allergic to peanuts');
    assert.ok(best[0]!.score >= best[1]!.score && best[0]!.similarity > best[1]!.similarity);
    assert.ok(best[0]!.score > 0 && best[0]!.score <= 1);
    const how = outcome.sent!['recall'] as Msg;
    assert.deepEqual([how['path'], how['compared'], how['otherEmbedder']], ['exact', 3, 0]);
    assert.equal(flow.lastStatus('mem')?.fill, 'green');
    // runBoth resolved on Complete, i.e. on done(): by then the count is written.
    const got = await sent(flow, 'mem', { operation: 'get', userId, memoryId: best[0]!['id'] });
    assert.equal((got['payload'] as Msg)['accessCount'], 1);
  });

  it('sends the recall on before it writes the access counts, and calls done once they are written', async () => {
    const userId = uniqueName('u');
    await remember(userId, facts);
    const memory = await (flow.node('config') as unknown as MemoryConfigNode).memory();
    const documents = (memory.memories as unknown as { table: { documents: { send: (command: { input: Msg }) => Promise<unknown> } } }).table.documents;
    const send = documents.send.bind(documents);
    const events: string[] = [];
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    // Each access count write waits until the msg has come out of the node: a node that wrote
    // them before sending would never send, and this test would time out.
    documents.send = async (command) => {
      if (!String(command.input['UpdateExpression']).startsWith('ADD #count')) return send(command);
      events.push('count write waits');
      await released;
      const result = await send(command);
      events.push('count written');
      return result;
    };
    // Not `once`: a Node-RED node's input listeners must not remove themselves while it emits.
    const out = flow.node('mem-out');
    const onSent = () => {
      events.push('sent');
      release();
    };
    out.on('input', onSent);
    try {
      const outcome = await flow.runBoth('mem', { userId, payload: 'peanuts', k: 1 });
      events.push('done');
      assert.equal(outcome.error, undefined);
    } finally {
      documents.send = send;
      out.removeListener('input', onSent);
    }
    assert.deepEqual(events, ['count write waits', 'sent', 'count written', 'done']);
  });

  it('recall filters by msg.kind, msg.metadata and msg.minScore', async () => {
    const userId = uniqueName('u');
    await remember(userId, [
      { text: 'Ana drinks coffee with oat milk', kind: 'preference', metadata: { topic: 'food' } },
      { text: 'Ana ordered coffee beans last week', kind: 'event', metadata: { topic: 'shopping' } },
    ]);
    const byKind = await sent(flow, 'mem', { userId, payload: 'coffee', kind: 'event' });
    assert.deepEqual((byKind['payload'] as Msg[]).map((r) => r['text']), ['Ana ordered coffee beans last week']);
    const byMetadata = await sent(flow, 'mem', { userId, payload: 'coffee', metadata: { topic: 'food' } });
    assert.deepEqual((byMetadata['payload'] as Msg[]).map((r) => r['text']), ['Ana drinks coffee with oat milk']);
    const strict = await sent(flow, 'mem', { userId, payload: 'coffee', minScore: 0.99 });
    assert.deepEqual(strict['payload'], []);
  });

  it('gets, updates, forgets, lists with a cursor and shows the history', async () => {
    const userId = uniqueName('u');
    const stored = (await remember(userId, facts)) as { payload: Msg[] };
    const lisbon = stored.payload[1]!;
    const got = await sent(flow, 'mem', { operation: 'get', userId, payload: { id: lisbon['id'] } });
    assert.equal((got['payload'] as Msg)['text'], 'Ana lives in Lisbon');
    const updated = await sent(flow, 'mem', { operation: 'update', userId, memoryId: lisbon['id'], payload: { text: 'Ana lives in Porto', importance: 9 } });
    assert.deepEqual([(updated['payload'] as Msg)['text'], (updated['payload'] as Msg)['importance'], (updated['payload'] as Msg)['version']], ['Ana lives in Porto', 9, 2]);
    const porto = await sent(flow, 'mem', { userId, payload: 'where does Ana live? Porto', k: 1 });
    assert.equal((porto['payload'] as Msg[])[0]!['id'], lisbon['id']);
    const forgotten = await sent(flow, 'mem', { operation: 'forget', userId, memoryId: stored.payload[0]!['id'] });
    assert.equal((forgotten['payload'] as Msg)['text'], 'Ana is allergic to peanuts');
    // A page at a time: msg.cursor while there are more, none on the last page.
    const pages: Msg[][] = [];
    let cursor: unknown;
    do {
      const page = await sent(flow, 'mem', { operation: 'list', userId, limit: 1, ...(cursor === undefined ? {} : { cursor }) });
      pages.push(page['payload'] as Msg[]);
      cursor = page['cursor'];
      assert.ok(pages.length <= 3, 'the cursors come to an end');
    } while (cursor !== undefined);
    assert.deepEqual(pages.map((page) => page.length), [1, 1], 'the last page has no cursor: no empty page after it');
    assert.deepEqual(pages.flat().map((r) => r['text']).sort(), ['Ana lives in Porto', 'Ana plays the cello in an orchestra']);
    const history = await sent(flow, 'mem', { operation: 'history', userId });
    assert.deepEqual((history['payload'] as Msg[]).map((c) => c['action']), ['DELETE', 'UPDATE', 'ADD', 'ADD', 'ADD']);
    const ofOne = await sent(flow, 'mem', { operation: 'history', userId, memoryId: lisbon['id'] });
    assert.deepEqual((ofOne['payload'] as Msg[]).map((c) => [c['action'], c['oldText'], c['newText']]), [
      ['UPDATE', 'Ana lives in Lisbon', 'Ana lives in Porto'],
      ['ADD', undefined, 'Ana lives in Lisbon'],
    ]);
  });

  it("a recall by user A never returns user B's records, and A cannot get B's record by its id", async () => {
    const [a, b] = [uniqueName('a'), uniqueName('b')];
    await remember(a, 'A likes jazz');
    const bRecord = (await remember(b, ['B likes jazz', 'B is allergic to peanuts'])) as { payload: Msg[] };
    const found = await sent(flow, 'mem', { userId: a, payload: 'who likes jazz and is allergic to peanuts?', k: 10 });
    assert.deepEqual((found['payload'] as Msg[]).map((r) => r['text']), ['A likes jazz']);
    const outcome = await flow.run('mem', { operation: 'get', userId: a, memoryId: bRecord.payload[0]!['id'] });
    assert.match(outcome.error ?? 'no error', /no memory record/);
  });

  it('reads the count, minimum score and weights from the node settings; msg.k and msg.minScore win', async () => {
    await unloadFlow();
    flow = await loadMemoryFlow([
      { id: 'mem', type: 'dynamodb-memory-recall' },
      { id: 'top', type: 'dynamodb-memory-recall', topK: '1' },
      // Only importance counts: the most important record comes first, scoring 1.
      { id: 'important', type: 'dynamodb-memory-recall', similarityWeight: '0', recencyWeight: '0', importanceWeight: '1', minScore: '0.5' },
    ]);
    const userId = uniqueName('u');
    await remember(userId, [{ text: 'Ana is allergic to peanuts' }, { text: 'Ana lives in Lisbon', importance: 10 }, { text: 'Ana plays the cello' }]);
    // "Ana" is in every record: each has some similarity (a record with none is never recalled).
    assert.equal(((await sent(flow, 'top', { userId, payload: 'Ana' }))['payload'] as Msg[]).length, 1);
    assert.equal(((await sent(flow, 'top', { userId, payload: 'Ana', k: 3 }))['payload'] as Msg[]).length, 3);
    const important = (await sent(flow, 'important', { userId, payload: 'Ana' }))['payload'] as Array<Msg & { score: number }>;
    assert.deepEqual(important.map((r) => [r['text'], r.score]), [['Ana lives in Lisbon', 1]]);
    assert.equal(((await sent(flow, 'important', { userId, payload: 'Ana', minScore: 0 }))['payload'] as Msg[]).length, 3);
  });

  it('uses a named namespace and a session scope from the node settings', async () => {
    await unloadFlow();
    flow = await loadMemoryFlow([
      { id: 'named', type: 'dynamodb-memory-recall', scope: 'named', namespace: 'venue-facts', userId: '' },
      { id: 'session', type: 'dynamodb-memory-recall', scope: 'session' },
      { id: 'store', type: 'dynamodb-memory-store' },
    ]);
    await sent(flow, 'named', { operation: 'remember', payload: 'The Blue Note opens at eight' });
    const named = await sent(flow, 'named', { payload: 'when does the Blue Note open?' });
    assert.equal((named['payload'] as Msg[])[0]!['text'], 'The Blue Note opens at eight');
    const who = { userId: uniqueName('u'), sessionId: uniqueName('s') };
    await sent(flow, 'store', { ...who, payload: 'hi' });
    const noted = await sent(flow, 'session', { ...who, operation: 'remember', payload: 'asked about trains to Porto' });
    assert.equal((noted['payload'] as Msg)['scope'], 'session');
    const recalled = await sent(flow, 'session', { ...who, payload: 'trains' });
    assert.equal((recalled['payload'] as Msg[]).length, 1);
    const stranger = await flow.run('session', { ...who, userId: 'someone-else', payload: 'trains' });
    assert.notEqual(stranger.error, undefined, "another user cannot read the session's memory");
  });

  describe('bad input reaches Catch, turns the status red and writes nothing', () => {
    const cases: Array<[string, Msg, RegExp]> = [
      ['an unknown operation', { operation: 'memorise', userId: 'u', payload: 'x' }, /operation: must be one of "remember", "recall", "get", "update", "forget", "list", "history"/],
      ['an empty text to remember', { operation: 'remember', userId: 'u', payload: '' }, /records\.0\.text: must be a text of 1 to 32768 characters/],
      ['an empty query', { userId: 'u', payload: '' }, /query: must be a text of 1 to 32768 characters/],
      ['an embedding with a string in it', { operation: 'remember', userId: 'u', payload: 'x', embedding: [0.1, 'a', 0.3] }, /records\[0\]\.embedding: item 1 is not a finite number/],
      ['an embedding of zeros', { operation: 'remember', userId: 'u', payload: 'x', embedding: [0, 0, 0] }, /every number is 0/],
      ['fewer embeddings than records', { operation: 'remember', userId: 'u', payload: ['x', 'y'], embedding: [[0.1, 0.2]] }, /records\.1\.embedding: must be an array/],
      ['a missing userId for the user scope', { operation: 'remember', payload: 'x' }, /userId is required/],
      ['a record with an unknown field', { operation: 'remember', userId: 'u', payload: { text: 'x', colour: 'red' } }, /colour/],
      ['a bad record id', { operation: 'get', userId: 'u', memoryId: 'nope' }, /memoryId|id: must be a memory record's id/],
      ['a k out of range', { userId: 'u', payload: 'x', k: 0 }, /k: must be a whole number from 1 to 100/],
      ['an unknown msg.onContradiction', { operation: 'remember', userId: 'u', payload: 'x', onContradiction: 'replace' }, /onContradiction: must be one of "flag", "supersede"/],
    ];
    refusesBadInput(() => flow, 'mem', cases);
  });
});
