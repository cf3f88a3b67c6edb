/** The memory core against a real DynamoDB Local: order, uniqueness, idempotency, ranges, clear. */
import assert from 'node:assert/strict';
import { ChatMemory } from '../../lib/memory/chat-memory';
import { MemoryInputError, SessionOwnershipError } from '../../lib/errors/input-errors';
import { parseStoreRequest } from '../../lib/schemas/store-request';
import { memoryTable, uniqueName, type MemoryTable } from '../support/memory-table';

describe('memory core', () => {
  let table: MemoryTable;
  before(async () => (table = await memoryTable()));
  after(() => table.close());

  const store = (sessionId: string, payload: unknown, extra: Record<string, unknown> = {}) =>
    table.memory.store(parseStoreRequest({ sessionId, role: 'user', payload, ...extra }));

  it('keeps two messages stored in the same millisecond, in the order they were stored', async () => {
    const sessionId = uniqueName('s');
    const frozen = new ChatMemory({ documents: table.connection.documents, tableName: table.tableName, now: () => 1_700_000_000_000 });
    await frozen.store(parseStoreRequest({ sessionId, role: 'user', payload: 'first' }));
    await frozen.store(parseStoreRequest({ sessionId, role: 'assistant', payload: 'second' }));
    const history = await table.memory.history({ sessionId });
    assert.deepEqual(history.map((m) => m.content), ['first', 'second']);
    assert.equal(history[0]!.createdAt, history[1]!.createdAt);
  });

  it('stores a messageId once, however often it is sent', async () => {
    const sessionId = uniqueName('s');
    const first = await store(sessionId, 'hello', { messageId: 'm-1' });
    const again = await store(sessionId, 'hello again', { messageId: 'm-1' });
    assert.equal(first[0]!.duplicate, undefined);
    assert.equal(again[0]!.duplicate, true);
    assert.equal(again[0]!.content, 'hello');
    const items = await table.itemsWithPk(`SESSION#${sessionId}`);
    assert.equal(items.filter((i) => i['kind'] === 'message').length, 1);
    assert.equal(items.find((i) => i['kind'] === 'session')!['messageCount'], 1);
  });

  it('returns the newest 20 of 1,000 messages, oldest first', async function () {
    this.timeout(120_000);
    const sessionId = uniqueName('s');
    const payload = Array.from({ length: 1000 }, (_, i) => ({ content: `message ${i}` }));
    await store(sessionId, payload);
    const history = await table.memory.history({ sessionId });
    assert.deepEqual(history.map((m) => m.content), payload.slice(980).map((m) => m.content));
    const items = await table.itemsWithPk(`SESSION#${sessionId}`);
    assert.equal(items.find((i) => i['kind'] === 'session')!['messageCount'], 1000);
  });

  it('refuses a message over 400 KB and writes nothing of its batch', async () => {
    const sessionId = uniqueName('s');
    await assert.rejects(store(sessionId, [{ content: 'small' }, { content: 'x'.repeat(500 * 1024) }]), MemoryInputError);
    assert.deepEqual(await table.itemsWithPk(`SESSION#${sessionId}`), []);
  });

  it('clears every item of a session', async () => {
    const sessionId = uniqueName('s');
    await store(sessionId, Array.from({ length: 300 }, (_, i) => ({ content: `m${i}`, messageId: `id${i}` })));
    const result = await table.memory.clearSession({ sessionId });
    assert.deepEqual(result, { messages: 300, items: 601 });
    assert.deepEqual(await table.itemsWithPk(`SESSION#${sessionId}`), []);
  });
});

describe('memory core: expiry, ownership and big sessions', () => {
  let table: MemoryTable;
  before(async () => (table = await memoryTable()));
  after(() => table.close());

  it('leaves out expired messages on read, which DynamoDB deletes only later', async () => {
    const sessionId = uniqueName('s');
    const start = Date.now();
    let clock = start;
    const memory = new ChatMemory({ documents: table.connection.documents, tableName: table.tableName, now: () => clock });
    await memory.store(parseStoreRequest({ sessionId, role: 'user', payload: 'short-lived', ttlDays: 1 }));
    await memory.store(parseStoreRequest({ sessionId, role: 'user', payload: 'kept' }));
    clock = start + 2 * 86_400_000;
    assert.deepEqual((await memory.history({ sessionId })).map((m) => m.content), ['kept']);
    const stored = await table.itemsWithPk(`SESSION#${sessionId}`);
    assert.equal(stored.filter((i) => i['kind'] === 'message').length, 2, 'DynamoDB Local keeps expired items');
  });

  it('refuses another user the session for store, history and clear, and writes nothing', async () => {
    const sessionId = uniqueName('s');
    await table.memory.store(parseStoreRequest({ sessionId, userId: 'ana', role: 'user', payload: 'mine' }));
    const before = await table.itemsWithPk(`SESSION#${sessionId}`);
    await assert.rejects(
      table.memory.store(parseStoreRequest({ sessionId, userId: 'bo', role: 'user', payload: 'intruder' })),
      SessionOwnershipError,
    );
    await assert.rejects(table.memory.history({ sessionId, userId: 'bo' }), SessionOwnershipError);
    await assert.rejects(table.memory.clearSession({ sessionId, userId: 'bo' }), SessionOwnershipError);
    assert.deepEqual(await table.itemsWithPk(`SESSION#${sessionId}`), before);
    assert.equal((await table.memory.history({ sessionId, userId: 'ana' })).length, 1);
  });

  it('clears a 10,000-message session completely', async function () {
    this.timeout(300_000);
    const sessionId = uniqueName('s');
    await store(table, sessionId, Array.from({ length: 10_000 }, (_, i) => ({ content: `m${i}` })));
    const session = (await table.itemsWithPk(`SESSION#${sessionId}`)).find((i) => i['kind'] === 'session');
    assert.equal(session!['messageCount'], 10_000);
    assert.deepEqual(await table.memory.clearSession({ sessionId }), { messages: 10_000, items: 10_001 });
    assert.deepEqual(await table.itemsWithPk(`SESSION#${sessionId}`), []);
  });
});

function store(table: MemoryTable, sessionId: string, payload: unknown) {
  return table.memory.store(parseStoreRequest({ sessionId, role: 'user', payload }));
}
