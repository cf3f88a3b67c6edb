/** The store, history and clear nodes in a real Node-RED runtime on DynamoDB Local. */
import assert from 'node:assert/strict';
import { scanMemoryItems, scanTable, uniqueName } from '../support/memory-table';
import { loadMemoryFlow, sent, startNodeRed, stopNodeRed, unloadFlow, type MemoryFlow, type Msg } from '../support/node-flow';

const nodes = [
  { id: 'store', type: 'dynamodb-memory-store' as const },
  { id: 'history', type: 'dynamodb-memory-history' as const },
  { id: 'clear', type: 'dynamodb-memory-clear' as const },
];
const toolCall = { id: 'call_1', type: 'function', function: { name: 'venues', arguments: '{"city":"Lisbon"}' } };

describe('memory nodes', () => {
  let flow: MemoryFlow;
  before(startNodeRed);
  after(stopNodeRed);
  beforeEach(async () => (flow = await loadMemoryFlow(nodes)));
  afterEach(unloadFlow);

  it('loads what was stored, in order, as chat messages', async () => {
    const sessionId = uniqueName('s');
    await sent(flow, 'store', { sessionId, payload: 'Hi, I am Ana' });
    await sent(flow, 'store', { sessionId, role: 'assistant', payload: 'Hello Ana!' });
    await sent(flow, 'store', { sessionId, payload: { role: 'user', content: [{ type: 'text', text: 'jazz?' }] } });
    const out = await sent(flow, 'history', { sessionId });
    assert.deepEqual(out['history'], [
      { role: 'user', content: 'Hi, I am Ana' },
      { role: 'assistant', content: 'Hello Ana!' },
      { role: 'user', content: [{ type: 'text', text: 'jazz?' }] },
    ]);
    assert.equal(flow.lastStatus('history')?.fill, 'green');
  });

  it('stores an array in order and hands back the records on msg.memory', async () => {
    const sessionId = uniqueName('s');
    const out = await sent(flow, 'store', {
      sessionId,
      userId: 'ana',
      metadata: { channel: 'web' },
      payload: [
        { role: 'assistant', content: null, tool_calls: [toolCall] },
        { role: 'tool', content: '["Hot Clube"]', tool_call_id: 'call_1' },
      ],
    });
    const records = out['memory'] as Msg[];
    assert.equal(records.length, 2);
    assert.equal(records[0]!['userId'], 'ana');
    assert.deepEqual(records[0]!['metadata'], { channel: 'web' });
    const loaded = await sent(flow, 'history', { sessionId, userId: 'ana' });
    assert.deepEqual(loaded['history'], [
      { role: 'assistant', content: null, tool_calls: [toolCall] },
      { role: 'tool', content: '["Hot Clube"]', tool_call_id: 'call_1' },
    ]);
  });

  it('keeps one copy of a messageId sent twice', async () => {
    const sessionId = uniqueName('s');
    await sent(flow, 'store', { sessionId, messageId: 'turn-1', payload: 'once' });
    const again = await sent(flow, 'store', { sessionId, messageId: 'turn-1', payload: 'once' });
    assert.equal((again['memory'] as Msg)['duplicate'], true);
    const items = await scanTable(flow.tableName);
    assert.equal(items.filter((i) => i['sessionId'] === sessionId && i['kind'] === 'message').length, 1);
  });

  it('returns the messages within since and until', async () => {
    const sessionId = uniqueName('s');
    await sent(flow, 'store', { sessionId, payload: 'before' });
    await new Promise((r) => setTimeout(r, 20));
    const since = Date.now();
    await sent(flow, 'store', { sessionId, payload: 'inside' });
    const until = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 20));
    await sent(flow, 'store', { sessionId, payload: 'after' });
    const out = await sent(flow, 'history', { sessionId, since, until });
    assert.deepEqual((out['history'] as Msg[]).map((m) => m['content']), ['inside']);
  });

  it('takes since and until in epoch milliseconds with a fraction (performance.timeOrigin + now())', async () => {
    const sessionId = uniqueName('s');
    await sent(flow, 'store', { sessionId, payload: 'inside' });
    const out = await sent(flow, 'history', { sessionId, since: 0.5, until: Date.now() + 1000.25 });
    assert.deepEqual((out['history'] as Msg[]).map((m) => m['content']), ['inside']);
  });

  it('since later than until: an input error naming both, not DynamoDB\'s complaint about BETWEEN', async () => {
    const outcome = await flow.run('history', { sessionId: uniqueName('s'), since: '2030-01-02T00:00:00Z', until: '2030-01-01T00:00:00Z' });
    assert.equal(outcome.error, 'MemoryInputError: since (2030-01-02T00:00:00Z) is later than until (2030-01-01T00:00:00Z); nothing was read');
  });

  it('keeps only the newest messages that fit the token budget', async () => {
    const sessionId = uniqueName('s');
    await sent(flow, 'store', { sessionId, payload: ['one two three four five six seven eight', 'hello', 'world'].map((content) => ({ content })) });
    // 'hello' and 'world' are 1 token each plus 4 for role and framing; the first message is 12.
    const out = await sent(flow, 'history', { sessionId, tokenBudget: 10 });
    assert.deepEqual((out['history'] as Msg[]).map((m) => m['content']), ['hello', 'world']);
  });

  it('gives records and a transcript when asked', async () => {
    await unloadFlow();
    const records = await loadMemoryFlow([{ id: 'history', type: 'dynamodb-memory-history', format: 'records', property: 'memory.loaded' }, { id: 'store', type: 'dynamodb-memory-store' }], { tableName: flow.tableName });
    const sessionId = uniqueName('s');
    await sent(records, 'store', { sessionId, userId: 'bo', payload: 'hi' });
    const out = await sent(records, 'history', { sessionId });
    const [record] = (out['memory'] as { loaded: Msg[] }).loaded;
    assert.deepEqual(Object.keys(record!).sort(), ['content', 'createdAt', 'messageId', 'role', 'sessionId', 'userId']);
    await unloadFlow();
    const transcript = await loadMemoryFlow([{ id: 'history', type: 'dynamodb-memory-history', format: 'transcript' }], { tableName: flow.tableName });
    assert.equal((await sent(transcript, 'history', { sessionId }))['history'], 'user: hi');
  });

  it("writes a message's tool calls into the transcript, as the context node's summary output does", async () => {
    await unloadFlow();
    const transcript = await loadMemoryFlow(
      [{ id: 'store', type: 'dynamodb-memory-store' }, { id: 'history', type: 'dynamodb-memory-history', format: 'transcript' }],
      { tableName: flow.tableName },
    );
    const sessionId = uniqueName('s');
    await sent(transcript, 'store', {
      sessionId,
      payload: [
        { role: 'user', content: 'Jazz in Lisbon?' },
        { role: 'assistant', content: null, tool_calls: [toolCall] },
        { role: 'tool', content: '["Hot Clube"]', tool_call_id: 'call_1' },
      ],
    });
    const lines = ((await sent(transcript, 'history', { sessionId }))['history'] as string).split('\n');
    assert.equal(lines.length, 3, lines.join('\n'));
    assert.equal(lines[0], 'user: Jazz in Lisbon?');
    // null content is no text; the calls come back from DynamoDB with their keys in any order.
    const [, calls] = /^assistant: {2}(.*)$/.exec(lines[1]!) ?? [];
    assert.deepEqual(JSON.parse(calls ?? 'null'), [toolCall], lines[1]);
    assert.equal(lines[2], 'tool: ["Hot Clube"]');
  });

  it('reads the session from flow context, env and JSONata', async () => {
    await unloadFlow();
    process.env['MEMORY_TEST_SESSION'] = uniqueName('env');
    const typed = await loadMemoryFlow([
      // A blank msg-typed User field means "no user", not a broken msg path.
      { id: 'store', type: 'dynamodb-memory-store', sessionId: 'chat.id', sessionIdType: 'flow', userId: '', userIdType: 'msg' },
      { id: 'history', type: 'dynamodb-memory-history', sessionId: 'MEMORY_TEST_SESSION', sessionIdType: 'env' },
      { id: 'clear', type: 'dynamodb-memory-clear', sessionId: '"env-" & payload', sessionIdType: 'jsonata' },
    ]);
    typed.node('store').context().flow.set('chat', { id: process.env['MEMORY_TEST_SESSION'] });
    await sent(typed, 'store', { payload: 'from context' });
    const out = await sent(typed, 'history', {});
    assert.deepEqual((out['history'] as Msg[]).map((m) => m['content']), ['from context']);
    const cleared = await sent(typed, 'clear', { payload: process.env['MEMORY_TEST_SESSION']!.slice('env-'.length) });
    assert.equal(cleared['payload'], 1);
  });

  it('clears a 2,000-message session completely', async function () {
    this.timeout(180_000);
    const sessionId = uniqueName('s');
    await sent(flow, 'store', { sessionId, payload: Array.from({ length: 2000 }, (_, i) => ({ content: `m${i}` })) });
    const out = await sent(flow, 'clear', { sessionId });
    assert.equal(out['payload'], 2000);
    assert.deepEqual(out['memory'], { sessionId, deleted: { messages: 2000, items: 2001 } });
    const left = (await scanTable(flow.tableName)).filter((i) => i['pk'] === `SESSION#${sessionId}`);
    assert.equal(left.length, 0);
  });

  it("lists the user's sessions and forgets the user", async () => {
    await unloadFlow();
    const userFlow = await loadMemoryFlow([
      { id: 'store', type: 'dynamodb-memory-store' },
      { id: 'sessions', type: 'dynamodb-memory-history', mode: 'sessions', property: 'sessions' },
      { id: 'forget', type: 'dynamodb-memory-clear', scope: 'user' },
    ]);
    const userId = uniqueName('u');
    await sent(userFlow, 'store', { sessionId: `${userId}-1`, userId, payload: 'one' });
    await sent(userFlow, 'store', { sessionId: `${userId}-2`, userId, payload: ['two', 'three'] });
    const page = await sent(userFlow, 'sessions', { userId, limit: 1 });
    assert.deepEqual((page['sessions'] as Msg[]).map((s) => [s['sessionId'], s['messageCount']]), [[`${userId}-2`, 2]]);
    const next = await sent(userFlow, 'sessions', { userId, limit: 1, cursor: page['cursor'] });
    assert.deepEqual((next['sessions'] as Msg[]).map((s) => s['sessionId']), [`${userId}-1`]);
    const forgot = await sent(userFlow, 'forget', { userId });
    assert.equal(forgot['payload'], 6);
    assert.deepEqual((forgot['memory'] as Msg)['deleted'], { message: 3, session: 2, user: 1 });
    assert.deepEqual((await scanTable(userFlow.tableName)).filter((i) => JSON.stringify(i).includes(userId)), []);
    assert.match((await userFlow.run('forget', {})).error ?? '', /userId is required/);
  });

  it("refuses another user's session for store, load and clear, and changes nothing", async () => {
    const sessionId = uniqueName('s');
    await sent(flow, 'store', { sessionId, userId: 'ana', payload: 'private' });
    const before = (await scanTable(flow.tableName)).filter((i) => i['pk'] === `SESSION#${sessionId}`);
    for (const nodeId of ['store', 'history', 'clear']) {
      const outcome = await flow.run(nodeId, { sessionId, userId: 'mallory', payload: 'let me in' });
      assert.match(outcome.error ?? 'no error', /belongs to another user/, nodeId);
      assert.equal(flow.lastStatus(nodeId)?.fill, 'red');
    }
    const after = (await scanTable(flow.tableName)).filter((i) => i['pk'] === `SESSION#${sessionId}`);
    assert.deepEqual(after, before);
  });

  describe('bad input reaches Catch, turns the status red and writes nothing', () => {
    const cases: Array<[string, (sessionId: string) => Msg, RegExp]> = [
      ['a missing session id', () => ({ payload: 'hello' }), /sessionId is required/],
      ['a non-string role', (sessionId) => ({ sessionId, role: 7, payload: 'hello' }), /role: must be one of/],
      ['a payload of the wrong type', (sessionId) => ({ sessionId, payload: 42 }), /payload: must be a string, a \{role, content\} object/],
      ['500 KB of content', (sessionId) => ({ sessionId, payload: 'x'.repeat(500 * 1024) }), /at most 400 KB/],
      ['a session id with #', (sessionId) => ({ sessionId: `${sessionId}#b`, payload: 'hello' }), /sessionId: must be a non-empty string/],
      ['a __proto__ key in metadata', (sessionId) => ({ sessionId, metadata: JSON.parse('{"__proto__": {"x": 1}}'), payload: 'hi' }), /__proto__/],
    ];
    for (const [what, msg, message] of cases) {
      it(what, async () => {
        const sessionId = uniqueName('bad');
        const outcome = await flow.run('store', msg(sessionId));
        assert.match(outcome.error ?? 'no error', message);
        assert.equal(flow.lastStatus('store')?.fill, 'red');
        // The table is this test's own, so a wrong write shows whatever session it went to (a msg
        // without one can only name it by what a node makes up).
        assert.deepEqual(await scanMemoryItems(flow.tableName), []);
      });
    }

    it('a history request with a bad limit or time', async () => {
      assert.match((await flow.run('history', { sessionId: 's', limit: 'ten' })).error ?? '', /limit: must be a whole number/);
      assert.match((await flow.run('history', { sessionId: 's', since: 'yesterday-ish' })).error ?? '', /since: must be an ISO 8601/);
    });
  });

  describe('credentials', () => {
    it('reach the SDK from the credential store', async () => {
      await unloadFlow();
      const wrong = await loadMemoryFlow(nodes, { credentials: { accessKeyId: 'not-alphanumeric', secretAccessKey: 'x' } });
      const outcome = await wrong.run('store', { sessionId: 's', payload: 'hello' });
      assert.match(outcome.error ?? '', /the access key id or secret is wrong/);
      await unloadFlow();
      const right = await loadMemoryFlow(nodes, { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
      assert.equal((await right.run('store', { sessionId: 's', payload: 'hello' })).error, undefined);
    });
  });
});
