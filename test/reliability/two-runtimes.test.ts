/**
 * Two real Node-RED runtimes (two child processes, each with its own store node and SDK client)
 * writing one session at once, each sending its own numbered messages in order over HTTP.
 */
import assert from 'node:assert/strict';
import { deployFlows, fetchDeployedRoute, type FlowNode } from '../../scripts/node-red-process';
import { startLinkedNodeRed, type LinkedNodeRed } from '../support/linked-node-red';
import { localCredentials, memoryTable, uniqueName, type MemoryTable } from '../support/memory-table';
import { dynamoDBLocal } from '../support/root-hooks';

const perRuntime = 50;

function storeFlow(tableName: string): FlowNode[] {
  const z = 'two-runtimes';
  return [
    { id: z, type: 'tab', label: 'store over HTTP' },
    {
      id: 'memory', type: 'dynamodb-memory-config', region: 'us-east-1', endpoint: dynamoDBLocal().endpoint, table: tableName,
      authType: 'keys', createTable: false, requestTimeoutMs: '10000', maxAttempts: '3', ttlDays: '', credentials: localCredentials,
    },
    { id: 'in', type: 'http in', z, url: '/store', method: 'post', wires: [['unpack']] },
    { id: 'unpack', type: 'change', z, rules: [
      { t: 'set', p: 'sessionId', pt: 'msg', to: 'payload.sessionId', tot: 'msg' },
      { t: 'set', p: 'payload', pt: 'msg', to: 'payload.text', tot: 'msg' },
    ], wires: [['store']] },
    { id: 'store', type: 'dynamodb-memory-store', z, memory: 'memory', sessionId: 'sessionId', sessionIdType: 'msg', userId: '', userIdType: 'str', role: 'user', ttlDays: '', wires: [['ok']] },
    { id: 'ok', type: 'http response', z, statusCode: '200', wires: [] },
    { id: 'catch', type: 'catch', z, scope: null, uncaught: false, wires: [['failed']] },
    { id: 'failed', type: 'http response', z, statusCode: '500', wires: [] },
  ];
}

describe('two Node-RED runtimes on one session', function () {
  this.timeout(240_000);
  let table: MemoryTable;
  const runtimes: LinkedNodeRed[] = [];

  before(async function () {
    table = await memoryTable();
    runtimes.push(...(await Promise.all([startLinkedNodeRed('flowmemory-two-a-'), startLinkedNodeRed('flowmemory-two-b-')])));
    for (const runtime of runtimes) await deployFlows(runtime.nodeRed.url, storeFlow(table.tableName));
  });

  after(async function () {
    await Promise.all(runtimes.map((runtime) => runtime.stop()));
    table?.close();
  });

  async function store(runtime: LinkedNodeRed, sessionId: string, text: string): Promise<void> {
    const response = await fetchDeployedRoute(`${runtime.nodeRed.url}/store`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ sessionId, text }),
      signal: AbortSignal.timeout(30_000),
    });
    assert.equal(response.status, 200, `${text}: ${await response.text()}\n${runtime.nodeRed.output()}`);
  }

  it('stores every message of both once, ordered by time, each runtime\'s in its own order', async () => {
    const sessionId = uniqueName('s');
    await Promise.all(
      runtimes.map(async (runtime, r) => {
        for (let i = 0; i < perRuntime; i++) await store(runtime, sessionId, `${r}:${i}`);
      }),
    );
    const history = await table.memory.history({ sessionId, limit: 1000 });
    assert.equal(history.length, 2 * perRuntime);
    const times = history.map((m) => m.createdAt);
    assert.deepEqual(times, [...times].sort());
    for (const r of [0, 1]) {
      const own = history.map((m) => String(m.content)).filter((c) => c.startsWith(`${r}:`));
      assert.deepEqual(own, Array.from({ length: perRuntime }, (_, i) => `${r}:${i}`), `runtime ${r} in its own order`);
    }
    // Both runtimes interleaved (they really ran at once), and the session counted every message.
    const switches = history.slice(1).filter((m, k) => String(m.content)[0] !== String(history[k]!.content)[0]).length;
    assert.ok(switches > 1, `the two runtimes' messages interleave (${switches} switches)`);
    const session = (await table.itemsWithPk(`SESSION#${sessionId}`)).find((item) => item['kind'] === 'session');
    assert.equal(session!['messageCount'], 2 * perRuntime);
  });
});
