/**
 * Per-partition-key throughput, through the fault proxy's partition-throughput mode: DynamoDB
 * throttles one partition key value beyond 1,000 write and 3,000 read units a second, DynamoDB
 * Local never does. The limits are divided by `scale` so they bite on one machine: a figure here
 * times `scale` is the figure on AWS. What a store costs is never written down here: it is what
 * the simulator billed, so the tests hold whatever the store path writes.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { BatchGetCommand, BatchWriteCommand, DeleteCommand, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Connection } from '../../lib/memory/connection';
import { inParallel } from '../../lib/memory/in-parallel';
import { itemBytes } from '../../lib/memory/item-size';
import { ensureTable } from '../../lib/memory/table-setup';
import { attribute, key, prefix, userIndex } from '../../lib/memory/table-layout';
import { writeUnits } from '../support/capacity-units';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { localConnection, scanTable, uniqueName } from '../support/memory-table';
import { watchFinishes } from '../support/msg-ledger';
import { scaledLimits } from '../support/partition-budget';
import { partitionThrottling, type PartitionThrottling } from '../support/partition-throttling';
import { loadMemoryFlow, sendUntilStored, sent, startNodeRed, stopNodeRed, unloadFlow, type MemoryFlow } from '../support/node-flow';
import { dynamoDBLocal } from '../support/root-hooks';

/** 1,000 WCU/s ÷ 50 = 20 WCU/s and 60 RCU/s per key, with 1 s of burst. */
const scale = 50;
const limits = scaledLimits(scale);

type Item = Record<string, unknown>;

function billed(simulator: PartitionThrottling, pk: string) {
  return simulator.budget.partitions().find((p) => p.pk === pk) ?? { writeUnits: 0, readUnits: 0, throttled: 0 };
}

/**
 * Each session stores `stores` msgs, one every `periodMs` (not before the last one is stored),
 * starting at a random point of the first period: users do not type in step. Resolves with the
 * stores a second that all of them achieved together.
 */
async function storeAtPace(flow: MemoryFlow, sessions: string[], stores: number, periodMs: number): Promise<number> {
  const started = performance.now();
  await Promise.all(
    sessions.map(async (sessionId) => {
      await sleep(Math.random() * periodMs);
      for (let i = 0; i < stores; i++) {
        const due = performance.now() + periodMs;
        await sent(flow, 'store', { sessionId, messageId: `m${i}`, payload: `message ${i}` });
        if (i < stores - 1) await sleep(Math.max(0, due - performance.now()));
      }
    }),
  );
  return (sessions.length * stores) / ((performance.now() - started) / 1000);
}

describe('per-partition-key throughput (the fault proxy as DynamoDB\'s partitions)', function () {
  this.timeout(300_000);
  let proxy: FaultProxy;
  let tableName: string;
  let client: Connection;
  before(async () => {
    await startNodeRed();
    proxy = await startFaultProxy(dynamoDBLocal().endpoint);
    tableName = uniqueName('partitions');
    const local = localConnection();
    await ensureTable(local.client, tableName).finally(() => local.client.destroy());
    // One attempt: these tests look at the answers themselves, not at the SDK's retries.
    client = localConnection({ endpoint: proxy.endpoint, maxAttempts: 1 });
  });
  after(async () => {
    client.client.destroy();
    await proxy.close();
    await stopNodeRed();
  });
  afterEach(async () => {
    delete proxy.partitions;
    await unloadFlow();
  });

  const flowConfig = () => ({ endpoint: proxy.endpoint, createTable: false, requestTimeoutMs: '30000' });

  it('bills single-item calls as DynamoDB Local reports them', async () => {
    const simulator = (proxy.partitions = partitionThrottling(scaledLimits(1)));
    const pk = uniqueName('BILL#');
    const Key = { pk, sk: 'a' };
    const TableName = tableName;
    const ReturnConsumedCapacity = 'TOTAL' as const;
    const setText = (text: string) => ({
      TableName, Key, ReturnConsumedCapacity, UpdateExpression: 'SET #t = :t', ExpressionAttributeNames: { '#t': 'text' }, ExpressionAttributeValues: { ':t': text },
    });
    // Sizes across the 1 KB and 4 KB steps; updates that grow, shrink and grow the item again.
    const calls = [
      new PutCommand({ TableName, ReturnConsumedCapacity, Item: { ...Key, text: 'x'.repeat(3000) } }),
      new PutCommand({ TableName, ReturnConsumedCapacity, Item: { ...Key, text: 'small' } }),
      new UpdateCommand(setText('y'.repeat(6000))),
      new UpdateCommand(setText('z')),
      new UpdateCommand(setText('w'.repeat(9000))),
      new GetCommand({ TableName, ReturnConsumedCapacity, Key }),
      new GetCommand({ TableName, ReturnConsumedCapacity, Key, ConsistentRead: true, ProjectionExpression: 'pk' }),
      new QueryCommand({
        TableName, ReturnConsumedCapacity, KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': attribute.partitionKey }, ExpressionAttributeValues: { ':pk': pk },
      }),
      new BatchWriteCommand({ ReturnConsumedCapacity, RequestItems: { [TableName]: [{ PutRequest: { Item: { pk, sk: 'b', text: 'v'.repeat(5000) } } }, { DeleteRequest: { Key } }] } }),
      new BatchGetCommand({ ReturnConsumedCapacity, RequestItems: { [TableName]: { Keys: [{ pk, sk: 'b' }], ConsistentRead: true } } }),
      new DeleteCommand({ TableName, ReturnConsumedCapacity, Key: { pk, sk: 'b' } }),
      new DeleteCommand({ TableName, ReturnConsumedCapacity, Key: { pk, sk: 'none' } }),
    ];
    const seen: string[] = [];
    for (const call of calls) {
      const before = billed(simulator, pk);
      const answer = (await client.documents.send(call as never)) as { ConsumedCapacity?: { CapacityUnits?: number } | Array<{ CapacityUnits?: number }> };
      const reported = [answer.ConsumedCapacity ?? []].flat().reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);
      const after = billed(simulator, pk);
      const units = after.writeUnits - before.writeUnits + after.readUnits - before.readUnits;
      seen.push(`${call.constructor.name}: billed ${units}, Local reported ${reported}`);
    }
    assert.deepEqual(seen.filter((line) => !/billed (\S+), Local reported \1$/.test(line)), [], seen.join('\n'));
  });

  it('answers beyond the budget as on-demand DynamoDB does, and writes nothing it refused', async () => {
    proxy.partitions = partitionThrottling(limits);
    const hot = uniqueName('HOT#');
    const cool = uniqueName('COOL#');
    // 300 KB bills 300 WCU: far beyond the 20 of a burst, it passes on a full bucket and leaves it
    // in debt for 14 s, so what follows is refused whatever this machine's speed.
    await client.documents.send(new PutCommand({ TableName: tableName, Item: { pk: hot, sk: 'big', text: 'x'.repeat(300_000) } }));
    const refused = await client.documents.send(new PutCommand({ TableName: tableName, Item: { pk: hot, sk: 'a' } })).catch((e: unknown) => e);
    assert.equal((refused as Error).name, 'ThrottlingException');
    assert.deepEqual((refused as { throttlingReasons?: unknown }).throttlingReasons, [
      { reason: 'TableWriteKeyRangeThroughputExceeded', resource: `arn:aws:dynamodb:ddblocal:000000000000:table/${tableName}` },
    ]);
    const transaction = await client.documents
      .send(new TransactWriteCommand({ TransactItems: [{ Put: { TableName: tableName, Item: { pk: cool, sk: 't' } } }, { Put: { TableName: tableName, Item: { pk: hot, sk: 't' } } }] }))
      .catch((e: unknown) => e);
    assert.equal((transaction as Error).name, 'TransactionCanceledException');
    assert.deepEqual(((transaction as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons ?? []).map((r) => r.Code), ['None', 'ThrottlingError']);
    const batch = await client.documents.send(new BatchWriteCommand({
      RequestItems: { [tableName]: [{ PutRequest: { Item: { pk: cool, sk: 'b' } } }, { PutRequest: { Item: { pk: hot, sk: 'b' } } }] },
    }));
    assert.deepEqual(batch.UnprocessedItems, { [tableName]: [{ PutRequest: { Item: { pk: hot, sk: 'b' } } }] });
    // Reads have their own budget: the hot key can still be read.
    const { Item } = await client.documents.send(new GetCommand({ TableName: tableName, Key: { pk: hot, sk: 'big' }, ProjectionExpression: 'sk' }));
    assert.deepEqual(Item, { sk: 'big' });
    const written = (await scanTable(tableName)).filter((i) => i['pk'] === hot || i['pk'] === cool).map((i) => `${String(i['pk'])}/${String(i['sk'])}`);
    assert.deepEqual(written.sort(), [`${cool}/b`, `${hot}/big`]);
  });

  it('40 sessions storing at once are not throttled, and store about 10× as many a second as 4', async () => {
    const simulator = (proxy.partitions = partitionThrottling(limits));
    const flow = await loadMemoryFlow([{ id: 'store', type: 'dynamodb-memory-store' }], { tableName, config: flowConfig() });
    const run = uniqueName('sessions');
    // A store every 2 s per session: well under a key's ceiling (20 WCU/s ÷ the WCU of a store).
    const pace = (count: number) => storeAtPace(flow, Array.from({ length: count }, (_, s) => `${run}-${count}-${s}`), 4, 2000);
    const four = await pace(4);
    const forty = await pace(40);
    const throttled = simulator.budget.partitions().filter((p) => p.throttled > 0).map((p) => `${p.pk}: ${p.throttled}`);
    console.log(`      4 sessions: ${four.toFixed(1)} stores/s, 40 sessions: ${forty.toFixed(1)} stores/s (×${(forty / four).toFixed(1)}); ` +
      `throttled: ${throttled.length === 0 ? 'none' : throttled.join(', ')}`);
    assert.deepEqual(throttled, [], 'no partition key throttled');
    assert.ok(forty / four >= 5, `40 sessions stored ${forty.toFixed(1)}/s, 4 sessions ${four.toFixed(1)}/s`);
  });

  it('one session written as fast as it can be is held to its key\'s ceiling; each failure reaches Catch; each message stored once', async () => {
    const simulator = (proxy.partitions = partitionThrottling(limits));
    const flow = await loadMemoryFlow([{ id: 'store', type: 'dynamodb-memory-store' }], { tableName, config: flowConfig() });
    const sessionId = uniqueName('hot');
    const pk = key.sessionPartition(sessionId);
    // A session's first store also creates it; what a store costs is what a later one was billed.
    await sendUntilStored(flow, 'store', { sessionId, messageId: 'warm-0', payload: 'warm 0' });
    const warm = billed(simulator, pk).writeUnits;
    await sendUntilStored(flow, 'store', { sessionId, messageId: 'warm-1', payload: 'warm 1' });
    const perStore = billed(simulator, pk).writeUnits - warm;
    const ceiling = limits.writeUnitsPerSecond / perStore;

    const messages = Array.from({ length: 40 }, (_, i) => i);
    const ledger = watchFinishes(flow, 'store');
    const msgids: string[] = [];
    let resends = 0;
    const throttledBefore = billed(simulator, pk).throttled;
    const started = performance.now();
    await inParallel(messages, 20, async (i) => {
      const again = await sendUntilStored(flow, 'store', { sessionId, messageId: `m${i}`, payload: `message ${i}` }, (id) => msgids.push(id));
      resends += again;
    });
    const seconds = (performance.now() - started) / 1000;
    // done() and done(err) reach Complete and Catch a tick after the msg's outcome: let them land.
    await sleep(500);
    ledger.stop();
    const throttled = billed(simulator, pk).throttled - throttledBefore;
    const achieved = messages.length / seconds;
    // The bucket starts at most full and refills at the key's rate; nothing else lets a store through.
    const allowed = (limits.writeUnitsPerSecond * limits.burstSeconds + limits.writeUnitsPerSecond * seconds) / perStore;
    console.log(`      a store bills ${perStore} WCU on its session's key: ceiling ${ceiling.toFixed(2)} stores/s ` +
      `(${(ceiling * scale).toFixed(0)} on AWS); achieved ${achieved.toFixed(2)} stores/s, ${messages.length} in ${seconds.toFixed(1)} s; ` +
      `${throttled} requests throttled; ${resends} msgs reached Catch and were sent again`);

    assert.ok(messages.length <= allowed, `${messages.length} stores in ${seconds.toFixed(1)} s: more than the ${allowed.toFixed(1)} the key allows`);
    assert.ok(throttled > 0, 'the session\'s key was throttled');
    assert.equal(msgids.length, messages.length + resends, 'msgs sent: each stored once, plus one per failure');
    assert.deepEqual(ledger.unfinished(msgids), [], 'each msg sent ends in done() or Catch, once');
    const items = (await scanTable(tableName)).filter((i: Item) => i['sessionId'] === sessionId);
    const stored = items.filter((i) => i['kind'] === 'message').map((i) => String(i['messageId'])).sort();
    const expected = ['warm-0', 'warm-1', ...messages.map((i) => `m${i}`)].sort();
    assert.deepEqual(stored, expected, 'each message exactly once');
    assert.equal(items.find((i) => i['kind'] === 'session')?.['messageCount'], expected.length);
  });

  /*
   * A session item carries gsi1pk = USER#<userId> and gsi1sk = SESSION#<lastActivityAt>, which
   * every store moves: the index deletes the session's old entry and puts the new one, 2 index
   * writes of the session item (under 1 KB: 2 WCU, 4 if DynamoDB bills a transaction's index
   * writes at the transactional rate, as DynamoDB Local does), all on the user's one gsi1
   * partition. An index partition has a table's per-key limits (1,000 WCU/s), so all of a user's
   * sessions together are held to 250 to 500 stores a second, however many sessions share the
   * load. The simulator does not throttle index partitions: this counts the index writes in
   * DynamoDB Local's own figures.
   */
  it('a user\'s sessions all write one gsi1 partition, 2 index writes a store', async () => {
    const simulator = (proxy.partitions = partitionThrottling(limits));
    const flow = await loadMemoryFlow([{ id: 'store', type: 'dynamodb-memory-store' }], { tableName, config: flowConfig() });
    const userId = uniqueName('user');
    const sessions = Array.from({ length: 10 }, (_, s) => `${userId}-s${s}`);
    // The first store of a session creates it (and the user's marker, once): count later stores.
    await Promise.all(sessions.map((sessionId) => sent(flow, 'store', { sessionId, userId, messageId: 'm0', payload: 'hello' })));
    const indexUnits = () => simulator.engineIndexWriteUnits[userIndex] ?? 0;
    const before = indexUnits();
    const storesEach = 3;
    await Promise.all(
      sessions.map(async (sessionId) => {
        for (let i = 1; i <= storesEach; i++) await sent(flow, 'store', { sessionId, userId, messageId: `m${i}`, payload: `message ${i}` });
      }),
    );
    const unitsPerStore = (indexUnits() - before) / (sessions.length * storesEach);

    // What DynamoDB Local bills for one transactional write of an item the session's size.
    const local = localConnection();
    const session = (await scanTable(tableName)).find((i) => i['kind'] === 'session' && i['sessionId'] === sessions[0]) as Item;
    const { gsi1pk: _pk, gsi1sk: _sk, ...unindexed } = session;
    const one = await local.documents
      .send(new TransactWriteCommand({ TransactItems: [{ Put: { TableName: tableName, Item: { ...unindexed, pk: uniqueName('PROBE#') } } }], ReturnConsumedCapacity: 'TOTAL' }))
      .finally(() => local.client.destroy());
    const indexWrites = unitsPerStore / (one.ConsumedCapacity?.[0]?.CapacityUnits ?? NaN);
    const listed = await client.documents.send(new QueryCommand({
      TableName: tableName, IndexName: userIndex, KeyConditionExpression: '#k = :k',
      ExpressionAttributeNames: { '#k': attribute.gsi1PartitionKey }, ExpressionAttributeValues: { ':k': key.userSessions(userId) },
    }));
    const perStore = indexWrites * writeUnits(itemBytes(session), false);
    console.log(`      a store writes the user's gsi1 partition ${indexWrites} times (${itemBytes(session)}-byte session item): ` +
      `${perStore} to ${2 * perStore} WCU, so one user's sessions together: at most ${(1000 / (2 * perStore)).toFixed(0)} to ` +
      `${(1000 / perStore).toFixed(0)} stores/s on AWS`);

    assert.deepEqual((listed.Items ?? []).map((i) => i['sessionId']).sort(), [...sessions].sort(), 'one gsi1 partition lists every session');
    assert.equal(indexWrites, 2, 'a store moves the session\'s index entry: one delete and one put');
  });

  /*
   * What a store writes, billed by item size as DynamoDB bills (DynamoDB Local's own figures for
   * transactions are not AWS's): at most 4 write units for a message under 1 KB (6 with a
   * messageId), and no partition key written by the stores of two different sessions. The table
   * statistics' counter items are written by the process's flush, at most once a second, not by
   * the stores.
   */
  it('a store bills 4 WCU (6 with a messageId) on its own session\'s key only; the counters take one flush a second, not one write a store', async () => {
    // DynamoDB's own limits: nothing here comes near them, so nothing is throttled.
    const simulator = (proxy.partitions = partitionThrottling(scaledLimits(1)));
    const flow = await loadMemoryFlow([{ id: 'store', type: 'dynamodb-memory-store' }], { tableName, config: flowConfig() });
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
