/**
 * The table's statistics are kept outside the store's transaction (lib/memory/table-counters.ts):
 * no store writes a counter item, another process sees the counts after a flush, close() writes
 * what a process holds, and a flush whose response was lost is counted once.
 */
import assert from 'node:assert/strict';
import { ChatMemory } from '../../lib/memory/chat-memory';
import { connect } from '../../lib/memory/connection';
import { prefix } from '../../lib/memory/table-layout';
import { parseStoreRequest } from '../../lib/schemas/store-request';
import { startFaultProxy } from '../support/fault-proxy';
import { localCredentials, memoryTable, scanTable, uniqueName, type MemoryTable } from '../support/memory-table';
import { dynamoDBLocal } from '../support/root-hooks';

const never = 3_600_000;

async function eventually<T>(read: () => Promise<T>, until: (value: T) => boolean): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const value = await read();
    if (until(value) || attempt >= 100) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('table statistics', () => {
  let table: MemoryTable;
  beforeEach(async () => {
    table = await memoryTable();
  });
  afterEach(() => table.close());

  const memory = (statsFlushAfterMs: number) => new ChatMemory({ documents: table.connection.documents, tableName: table.tableName, statsFlushAfterMs });

  it('a store writes no counter item; another process sees the counts once the first one flushes or closes', async () => {
    const writer = memory(never);
    const reader = memory(never);
    const userId = uniqueName('u');
    await writer.store(parseStoreRequest({ sessionId: 'a', userId, role: 'user', payload: ['one', 'two'] }));
    await writer.store(parseStoreRequest({ sessionId: 'b', role: 'user', payload: 'three' }));
    const statsItems = (await scanTable(table.tableName)).filter((item) => String(item['pk']).startsWith(prefix.stats));
    assert.deepEqual(statsItems, [], 'no counter item is written on the store path');
    assert.deepEqual(await reader.tableStats(), { sessions: 0, messages: 0, users: 0 }, 'not flushed yet');
    assert.deepEqual(await writer.tableStats(), { sessions: 2, messages: 3, users: 1 }, 'a process always counts its own stores');
    await writer.store(parseStoreRequest({ sessionId: 'b', role: 'user', payload: 'four' }));
    await writer.close();
    assert.deepEqual(await reader.tableStats(), { sessions: 2, messages: 4, users: 1 });
  });

  it('flushes on its own within the interval', async () => {
    const writer = memory(50);
    const reader = memory(never);
    await writer.store(parseStoreRequest({ sessionId: 'a', role: 'user', payload: 'one' }));
    const seen = await eventually(() => reader.tableStats(), (stats) => stats.messages === 1);
    assert.deepEqual(seen, { sessions: 1, messages: 1, users: 0 });
  });

  it('counts a flush whose response was lost once (the SDK retries with the same transaction token)', async () => {
    let armed = false;
    let draws = 0;
    // The proxy draws twice a request (latency, then which fault): once armed, the next request's answer is lost.
    const proxy = await startFaultProxy(dynamoDBLocal().endpoint, { lostResponse: 1 }, () => {
      if (!armed) return 1;
      if (draws++ % 2 === 0) return 1;
      armed = false;
      return 0;
    });
    const connection = connect({
      region: 'us-east-1', endpoint: proxy.endpoint, authentication: { type: 'keys', ...localCredentials }, requestTimeoutMs: 10_000, maxAttempts: 3,
    });
    try {
      const writer = new ChatMemory({ documents: connection.documents, tableName: table.tableName, statsFlushAfterMs: never });
      await writer.store(parseStoreRequest({ sessionId: 'a', role: 'user', payload: ['one', 'two'] }));
      armed = true;
      await writer.close();
      assert.equal(proxy.counts.lostResponse, 1, 'the flush\'s first answer was lost');
      assert.deepEqual(await memory(never).tableStats(), { sessions: 1, messages: 2, users: 0 });
    } finally {
      connection.client.destroy();
      await proxy.close();
    }
  });
});
