/**
 * What a store writes, read off the wire by the fault proxy's partition-throughput mode (which bills
 * items by their size, as DynamoDB does; DynamoDB Local's own figures for transactions are not
 * AWS's): at most 4 write units for a message under 1 KB (6 with a messageId), and no partition key
 * written by the stores of two different sessions. The table statistics' counter items are written
 * by the process's flush, at most once a second, not by the stores.
 */
import assert from 'node:assert/strict';
import type { Connection } from '../../lib/memory/connection';
import { ensureTable } from '../../lib/memory/table-setup';
import { key, prefix } from '../../lib/memory/table-layout';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { localConnection, uniqueName } from '../support/memory-table';
import { scaledLimits } from '../support/partition-budget';
import { partitionThrottling } from '../support/partition-throttling';
import { loadMemoryFlow, sent, startNodeRed, stopNodeRed, unloadFlow } from '../support/node-flow';
import { dynamoDBLocal } from '../support/root-hooks';

describe('the write path, billed on the wire', function () {
  this.timeout(300_000);
  let proxy: FaultProxy;
  let tableName: string;
  before(async () => {
    await startNodeRed();
    proxy = await startFaultProxy(dynamoDBLocal().endpoint);
    tableName = uniqueName('writes');
    const local: Connection = localConnection();
    await ensureTable(local.client, tableName).finally(() => local.client.destroy());
  });
  after(async () => {
    await unloadFlow();
    await proxy.close();
    await stopNodeRed();
  });

  it('a store bills 4 WCU (6 with a messageId) on its own session\'s key only; the counters take one flush a second, not one write a store', async () => {
    // DynamoDB's own limits: nothing here comes near them, so nothing is throttled.
    const simulator = (proxy.partitions = partitionThrottling(scaledLimits(1)));
    const flow = await loadMemoryFlow([{ id: 'store', type: 'dynamodb-memory-store' }], {
      tableName, config: { endpoint: proxy.endpoint, createTable: false },
    });
    const written = () => new Map(simulator.budget.partitions().map((p) => [p.pk, p.writeUnits]));
    const run = uniqueName('r');
    const sessions = Array.from({ length: 12 }, (_, s) => ({ sessionId: `${run}-s${s}`, userId: s % 2 === 0 ? `${run}-u${s % 4}` : undefined }));
    const writers = new Map<string, Set<string>>();
    const costs: string[] = [];
    const started = performance.now();
    for (const { sessionId, userId } of sessions) {
      for (let i = 0; i < 4; i++) {
        const withId = i === 3;
        const before = written();
        await sent(flow, 'store', { sessionId, ...(userId ? { userId } : {}), ...(withId ? { messageId: `m${i}` } : {}), payload: `message ${i} `.repeat(20) });
        const touched = [...written()].filter(([pk, units]) => units !== (before.get(pk) ?? 0) && !pk.startsWith(prefix.stats));
        for (const [pk] of touched) writers.set(pk, (writers.get(pk) ?? new Set()).add(sessionId));
        const own = [key.sessionPartition(sessionId), ...(userId ? [key.userPartition(userId)] : [])];
        assert.deepEqual(touched.map(([pk]) => pk).filter((pk) => !own.includes(pk)), [], `store ${i} into ${sessionId} wrote only its own keys`);
        if (i > 0) {
          const units = touched.reduce((sum, [pk, after]) => sum + after - (before.get(pk) ?? 0), 0);
          costs.push(`${withId ? 'with' : 'without'} messageId: ${units}`);
        }
      }
    }
    const seconds = (performance.now() - started) / 1000;
    const shared = [...writers].filter(([, by]) => by.size > 1).map(([pk, by]) => `${pk}: ${[...by].join(', ')}`);
    // A user's marker is written by the first store of that user only, so no key has two sessions' stores.
    assert.deepEqual(shared, [], 'no partition key is written by the stores of two sessions');
    assert.deepEqual([...new Set(costs)].sort(), ['with messageId: 6', 'without messageId: 4'], 'write units of a store into an existing session');
    await unloadFlow(); // closing the connection flushes what the counters still hold
    const counterUnits = simulator.budget.partitions().filter((p) => p.pk.startsWith(prefix.stats)).reduce((sum, p) => sum + p.writeUnits, 0);
    const stores = sessions.length * 4;
    console.log(`      ${stores} stores in ${seconds.toFixed(1)} s; counter items took ${counterUnits} WCU in all`);
    assert.ok(counterUnits > 0, 'the counters were written');
    assert.ok(counterUnits <= 2 * (Math.ceil(seconds) + 1), `counter writes (${counterUnits} WCU) stay at one 2-WCU flush a second, not one a store`);
  });
});
