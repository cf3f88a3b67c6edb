/** Many writers at once on one session or one user, on DynamoDB Local. */
import assert from 'node:assert/strict';
import { ChatMemory } from '../../lib/memory/chat-memory';
import { parseStoreRequest } from '../../lib/schemas/store-request';
import { localConnection, memoryTable, uniqueName, type MemoryTable } from '../support/memory-table';

describe('concurrency', function () {
  this.timeout(120_000);
  let table: MemoryTable;
  before(async () => (table = await memoryTable()));
  after(() => table.close());

  it('100 concurrent writers on one session: all stored, counted, in one stable order', async () => {
    const sessionId = uniqueName('s');
    await Promise.all(
      Array.from({ length: 100 }, (_, i) => table.memory.store(parseStoreRequest({ sessionId, role: 'user', payload: `w${i}` }))),
    );
    const first = await table.memory.history({ sessionId, limit: 200 });
    const second = await table.memory.history({ sessionId, limit: 200 });
    assert.equal(first.length, 100);
    assert.deepEqual(new Set(first.map((m) => m.content)).size, 100);
    assert.deepEqual(first, second);
    const session = (await table.itemsWithPk(`SESSION#${sessionId}`)).find((i) => i['kind'] === 'session');
    assert.equal(session!['messageCount'], 100);
  });

  it('two independent clients (as two runtimes) on one session: nothing lost, ordered by time', async () => {
    const sessionId = uniqueName('s');
    const connections = [localConnection(), localConnection()];
    try {
      const writers = connections.map((c) => new ChatMemory({ documents: c.documents, tableName: table.tableName }));
      await Promise.all(
        writers.map((memory, w) =>
          (async () => {
            for (let i = 0; i < 50; i++) await memory.store(parseStoreRequest({ sessionId, role: 'user', payload: `${w}:${i}` }));
          })(),
        ),
      );
      const history = await table.memory.history({ sessionId, limit: 200 });
      assert.equal(history.length, 100);
      const times = history.map((m) => m.createdAt);
      assert.deepEqual(times, [...times].sort());
      for (const w of [0, 1]) {
        const own = history.map((m) => String(m.content)).filter((c) => c.startsWith(`${w}:`));
        assert.deepEqual(own, Array.from({ length: 50 }, (_, i) => `${w}:${i}`), `writer ${w} in its own order`);
      }
    } finally {
      for (const c of connections) c.client.destroy();
    }
  });
});
