/** A user's sessions, and forgetting a user, against DynamoDB Local. */
import assert from 'node:assert/strict';
import { ChatMemory } from '../../lib/memory/chat-memory';
import { MemoryInputError, SessionOwnershipError } from '../../lib/errors/input-errors';
import { parseStoreRequest } from '../../lib/schemas/store-request';
import { memoryTable, scanTable, uniqueName, type MemoryTable } from '../support/memory-table';

/** Every item of the table that mentions the user anywhere: its keys or any attribute. */
async function itemsOfUser(table: MemoryTable, userId: string): Promise<Record<string, unknown>[]> {
  return (await scanTable(table.tableName)).filter((item) => JSON.stringify(item).includes(userId));
}

describe("a user's sessions and forgetting a user", () => {
  let table: MemoryTable;
  before(async () => (table = await memoryTable()));
  after(() => table.close());

  it('lists the sessions newest activity first, a page at a time, with counts', async () => {
    const userId = uniqueName('u');
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const memory = new ChatMemory({ documents: table.connection.documents, tableName: table.tableName, now: () => clock });
    for (const [sessionId, messages] of [['a', 1], ['b', 3], ['c', 2]] as const) {
      for (let i = 0; i < messages; i++) {
        clock += 1000;
        await memory.store(parseStoreRequest({ sessionId: `${userId}-${sessionId}`, userId, role: 'user', payload: `m${i}` }));
      }
    }
    clock += 1000;
    await memory.store(parseStoreRequest({ sessionId: `${userId}-a`, userId, role: 'user', payload: 'back in a' }));
    const first = await memory.listSessions({ userId, limit: 2 });
    assert.deepEqual(first.sessions.map((s) => [s.sessionId, s.messageCount]), [[`${userId}-a`, 2], [`${userId}-c`, 2]]);
    assert.ok(first.cursor);
    const second = await memory.listSessions({ userId, limit: 2, cursor: first.cursor });
    assert.deepEqual(second.sessions.map((s) => s.sessionId), [`${userId}-b`]);
    assert.equal(second.sessions[0]!.createdAt, '2026-01-01T00:00:02.000Z');
    assert.equal(second.sessions[0]!.lastActivityAt, '2026-01-01T00:00:04.000Z');
    // A cursor carries no partition: someone else's listing from it stays in their own sessions.
    assert.deepEqual((await memory.listSessions({ userId: 'someone-else', cursor: first.cursor! })).sessions, []);
    await assert.rejects(memory.listSessions({ userId, cursor: 'not-a-cursor' }), MemoryInputError);
  });

  it('gives a session stored without a user to the first user who stores in it, and refuses the next one', async () => {
    const sessionId = uniqueName('s');
    const ana = uniqueName('ana');
    const usersBefore = (await table.memory.tableStats()).users;
    await table.memory.store(parseStoreRequest({ sessionId, role: 'user', payload: 'before anyone signed in' }));
    await table.memory.store(parseStoreRequest({ sessionId, userId: ana, role: 'user', payload: 'signed in as Ana' }));
    await table.memory.store(parseStoreRequest({ sessionId, userId: ana, role: 'assistant', payload: 'welcome, Ana' }));
    const { sessions } = await table.memory.listSessions({ userId: ana });
    assert.deepEqual(sessions.map((s) => [s.sessionId, s.userId, s.messageCount]), [[sessionId, ana, 3]]);
    assert.equal((await table.memory.tableStats()).users, usersBefore + 1, 'the claiming user is counted once');
    await assert.rejects(
      table.memory.store(parseStoreRequest({ sessionId, userId: uniqueName('ben'), role: 'user', payload: 'not mine' })),
      SessionOwnershipError,
    );
  });

  it('forgets everything of a user and nothing of anyone else, and a second run finds nothing left', async () => {
    const userId = uniqueName('forget');
    const other = uniqueName('keep');
    for (const sessionId of ['s1', 's2', 's3']) {
      await table.memory.store(parseStoreRequest({ sessionId: `${userId}-${sessionId}`, userId, role: 'user', payload: ['a', 'b'], messageId: sessionId }));
    }
    await table.memory.store(parseStoreRequest({ sessionId: `${other}-s`, userId: other, role: 'user', payload: 'mine' }));
    const { preferences, graph } = table.memory;
    await preferences.set({ userId, key: 'genres', value: ['jazz'] });
    await graph.upsertEntity({ userId }, { id: 'ana', type: 'person' });
    await graph.upsertEntity({ userId }, { id: 'blue-note', type: 'venue' });
    await graph.link({ userId }, { source: 'ana', relation: 'likes', target: 'blue-note' });
    await preferences.set({ userId: other, key: 'genres', value: ['rock'] });
    assert.ok((await itemsOfUser(table, userId)).length > 0);

    const result = await table.memory.forgetUser({ userId });
    assert.deepEqual(result.deleted, {
      message: 6, 'message-id': 6, session: 3, user: 1, preference: 1, 'preference-change': 1, entity: 2, 'edge-out': 1, 'edge-in': 1,
    });
    assert.equal(result.items, 22);
    assert.deepEqual(await itemsOfUser(table, userId), []);
    assert.equal((await itemsOfUser(table, other)).length, 5, "the other user's session item, message, user marker, preference and its audit entry stay");
    assert.deepEqual(await table.memory.forgetUser({ userId }), { deleted: {}, items: 0 });
  });
});
