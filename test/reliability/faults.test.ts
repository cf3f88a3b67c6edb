/**
 * Stores, clears and forgets through the fault-injecting proxy (the one fake in the suite: DynamoDB
 * Local itself never fails): nothing lost, nothing duplicated, and the config node's retry settings
 * are what the nodes use.
 */
import assert from 'node:assert/strict';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { scanTable, uniqueName } from '../support/memory-table';
import { loadMemoryFlow, sendUntilStored, startNodeRed, stopNodeRed, unloadFlow, type Msg } from '../support/node-flow';
import { dynamoDBLocal } from '../support/root-hooks';


describe('through the fault-injecting proxy', function () {
  this.timeout(600_000);
  let proxy: FaultProxy;
  before(async () => {
    await startNodeRed();
    proxy = await startFaultProxy(dynamoDBLocal().endpoint);
  });
  after(async () => {
    await proxy.close();
    await stopNodeRed();
  });
  afterEach(async () => {
    proxy.rates = {};
    await unloadFlow();
  });

  it('uses the config node\'s max attempts for every call', async () => {
    const attemptsSeen: number[] = [];
    for (const maxAttempts of [1, 3]) {
      const flow = await loadMemoryFlow([{ id: 'store', type: 'dynamodb-memory-store' }], {
        config: { endpoint: proxy.endpoint, maxAttempts: String(maxAttempts), createTable: false },
      });
      proxy.rates = { throttle: 1 };
      const before = proxy.counts.throttle;
      const outcome = await flow.run('store', { sessionId: 's', payload: 'hi' });
      assert.match(outcome.error ?? '', /DynamoDB is throttling: retries exhausted/);
      attemptsSeen.push(proxy.counts.throttle - before);
      proxy.rates = {};
      await unloadFlow();
    }
    assert.deepEqual(attemptsSeen, [1, 3]);
  });

  it('stores 10,000 messages in 100 sessions at 20 % throttling, 5 % 5xx, 1 % dropped or lost: each once, in order', async () => {
    const flow = await loadMemoryFlow([{ id: 'store', type: 'dynamodb-memory-store' }, { id: 'history', type: 'dynamodb-memory-history', count: '100' }], {
      // A generous timeout: this test is about faults, and on a loaded 2-core machine a serialised
      // DynamoDB Local can take seconds per transaction; timeouts would only add a retry storm.
      config: { endpoint: proxy.endpoint, maxAttempts: '8', requestTimeoutMs: '30000', createTable: false },
    });
    const run = uniqueName('faults');
    const sessions = Array.from({ length: 100 }, (_, s) => `${run}-${s}`);
    proxy.rates = { throttle: 0.2, serverError: 0.05, drop: 0.005, lostResponse: 0.005 };
    const started = Date.now();
    const resends = await Promise.all(
      sessions.map(async (sessionId) => {
        let total = 0;
        for (let i = 0; i < 100; i++) total += await sendUntilStored(flow, 'store', { sessionId, messageId: `m${i}`, payload: `message ${i}` });
        return total;
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    const injected = { ...proxy.counts };
    proxy.rates = {};
    const items = (await scanTable(flow.tableName)).filter((i) => String(i['sessionId']).startsWith(run));
    const messages = items.filter((i) => i['kind'] === 'message');
    assert.equal(messages.length, 10_000, 'every message exactly once');
    for (const sessionId of sessions) {
      const out = await flow.run('history', { sessionId });
      const contents = ((out.sent?.['history'] ?? []) as Msg[]).map((m) => m['content']);
      assert.deepEqual(contents, Array.from({ length: 100 }, (_, i) => `message ${i}`), `order in ${sessionId}`);
      const session = items.find((i) => i['kind'] === 'session' && i['sessionId'] === sessionId);
      assert.equal(session?.['messageCount'], 100, `count in ${sessionId}`);
    }
    console.log(`      10,000 stores in ${seconds.toFixed(1)} s; injected ${JSON.stringify(injected)}; ` +
      `msgs the flow had to send again: ${resends.reduce((a, b) => a + b, 0)}`);
  });

  it('stores 300 messages without a messageId at 10 % lost responses: each once, every lost answer replayed by its transaction token', async () => {
    const flow = await loadMemoryFlow([{ id: 'store', type: 'dynamodb-memory-store' }, { id: 'history', type: 'dynamodb-memory-history', count: '100' }], {
      config: { endpoint: proxy.endpoint, maxAttempts: '8', requestTimeoutMs: '30000', createTable: false },
    });
    const run = uniqueName('tokens');
    const sessions = Array.from({ length: 10 }, (_, s) => `${run}-${s}`);
    // Per ClientRequestToken, the engine's answers in order: the first applied the transaction
    // (its answer may be the one lost), a later one with the same token is DynamoDB's replay.
    const answers = new Map<string, Array<{ status: number; lost: boolean }>>();
    proxy.onAnswer = ({ operation, request, answer, lost }) => {
      if (operation !== 'TransactWriteItems') return;
      const token = String((JSON.parse(request.toString('utf8')) as { ClientRequestToken?: unknown }).ClientRequestToken);
      answers.set(token, [...(answers.get(token) ?? []), { status: answer.status, lost }]);
    };
    proxy.rates = { lostResponse: 0.1 };
    try {
      // No messageId, so no guard item: what keeps a retried transaction from applying twice is its
      // token (and, behind it, the message key only that store uses). Each msg is sent once; a flow
      // that sent it again would store it again, which is what a messageId is for.
      await Promise.all(
        sessions.map(async (sessionId) => {
          for (let i = 0; i < 30; i++) {
            const outcome = await flow.run('store', { sessionId, payload: `message ${i}` });
            assert.equal(outcome.error, undefined, `${sessionId} message ${i}`);
          }
        }),
      );
    } finally {
      proxy.rates = {};
      delete proxy.onAnswer;
    }
    const lostApplied = [...answers].filter(([, a]) => a.some((x) => x.lost && x.status === 200));
    assert.ok(lostApplied.length >= 10, `applied transactions whose answer was lost: ${lostApplied.length}`);
    for (const [token, seen] of lostApplied) {
      const retries = seen.slice(seen.findIndex((x) => x.lost && x.status === 200) + 1);
      assert.equal(retries.at(-1)?.status, 200, `token ${token}, answers ${JSON.stringify(seen)}: sent again, and answered as applied`);
    }
    const items = (await scanTable(flow.tableName)).filter((i) => String(i['sessionId']).startsWith(run));
    for (const sessionId of sessions) {
      const contents = items.filter((i) => i['kind'] === 'message' && i['sessionId'] === sessionId).map((i) => i['content']).sort();
      assert.deepEqual(contents, Array.from({ length: 30 }, (_, i) => `message ${i}`).sort(), `each message once in ${sessionId}`);
      const out = await flow.run('history', { sessionId });
      assert.deepEqual(((out.sent?.['history'] ?? []) as Msg[]).map((m) => m['content']), Array.from({ length: 30 }, (_, i) => `message ${i}`), `order in ${sessionId}`);
      const session = items.find((i) => i['kind'] === 'session' && i['sessionId'] === sessionId);
      assert.equal(session?.['messageCount'], 30, `count in ${sessionId}`);
    }
  });

  it('clears a session and forgets a user to 0 items with throttling, 5xx, drops and partial batches', async () => {
    const flow = await loadMemoryFlow(
      [{ id: 'store', type: 'dynamodb-memory-store' }, { id: 'clear', type: 'dynamodb-memory-clear' }, { id: 'forget', type: 'dynamodb-memory-clear', scope: 'user' }],
      { config: { endpoint: proxy.endpoint, maxAttempts: '8', requestTimeoutMs: '30000', createTable: false } },
    );
    const userId = uniqueName('u');
    const payload = Array.from({ length: 500 }, (_, i) => ({ content: `m${i}` }));
    for (const s of ['a', 'b', 'c']) await sendUntilStored(flow, 'store', { sessionId: `${userId}-${s}`, userId, messageId: s, payload });
    proxy.rates = { throttle: 0.1, serverError: 0.05, drop: 0.01, lostResponse: 0.01, partialBatch: 0.3 };
    await sendUntilStored(flow, 'clear', { sessionId: `${userId}-a`, userId });
    await sendUntilStored(flow, 'forget', { userId });
    const batchesCut = proxy.counts.partialBatch;
    proxy.rates = {};
    const left = (await scanTable(flow.tableName)).filter((i) => JSON.stringify(i).includes(userId));
    assert.deepEqual(left, []);
    assert.ok(batchesCut > 0, 'some batches came back partly unprocessed');
  });
});
