/**
 * TTL that never orphans a user's data: sessions whose stores mix TTLs, a clock moved past each
 * expiry, DynamoDB's TTL deletion played on DynamoDB Local (which never deletes), and forget-user
 * after it.
 */
import assert from 'node:assert/strict';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { ChatMemory } from '../../lib/memory/chat-memory';
import { graceDays } from '../../lib/memory/session-expiry';
import { key } from '../../lib/memory/table-layout';
import { parseStoreRequest } from '../../lib/schemas/store-request';
import { memoryTable, scanTable, uniqueName, type MemoryTable } from '../support/memory-table';

const day = 86_400;
const start = Date.parse('2026-03-01T00:00:00Z');

/** What DynamoDB's TTL may have done by `nowMs`: delete any item whose `expiresAt` is past, in any order. */
async function deleteExpired(table: MemoryTable, nowMs: number): Promise<void> {
  for (const item of await scanTable(table.tableName)) {
    const expiresAt = item['expiresAt'];
    if (expiresAt !== undefined && Number(expiresAt) < nowMs / 1000) {
      await table.connection.documents.send(new DeleteCommand({ TableName: table.tableName, Key: { pk: item['pk'], sk: item['sk'] } }));
    }
  }
}

/** Everything of the user: their sessions' partitions and any item naming them. */
async function itemsOf(table: MemoryTable, userId: string): Promise<Record<string, unknown>[]> {
  return (await scanTable(table.tableName)).filter((item) => String(item['pk']).includes(userId) || JSON.stringify(item).includes(userId));
}

interface Scenario {
  userId: string;
  /** Every `expiresAt` the scenario wrote, epoch seconds. */
  expiries: number[];
}

/**
 * Three sessions of one user whose stores mix TTLs in each order that used to shorten a session:
 * long then none then short; long then short; short then long; with messageIds (guards) and a summary.
 */
async function storeMixedTtls(table: MemoryTable): Promise<Scenario> {
  const userId = uniqueName('ttl');
  let clock = start;
  const memory = new ChatMemory({ documents: table.connection.documents, tableName: table.tableName, now: () => clock });
  const store = async (session: string, ttlDays: number | undefined, payload: string, messageId?: string) => {
    clock += 60_000;
    const [record] = await memory.store(
      parseStoreRequest({ sessionId: `${userId}-${session}`, userId, role: 'user', payload, ...(ttlDays ? { ttlDays } : {}), ...(messageId ? { messageId } : {}) }),
    );
    return record!;
  };
  await store('a', 30, 'kept a month', 'a-1');
  await store('a', undefined, 'kept for ever');
  await store('a', 1, 'kept a day', 'a-3');
  const first = await store('b', 365, 'kept a year');
  await store('b', 1, 'kept a day', 'b-2');
  await memory.storeSummary({ sessionId: `${userId}-b`, userId, summary: 'the user keeps things a year', covers: first.messageId });
  await store('c', 1, 'kept a day');
  await store('c', 30, 'kept a month');
  const expiries = (await itemsOf(table, userId)).flatMap((item) => (item['expiresAt'] === undefined ? [] : [Number(item['expiresAt'])]));
  await memory.close();
  return { userId, expiries };
}

describe('TTL never orphans a session', () => {
  let table: MemoryTable;
  before(async () => (table = await memoryTable()));
  after(() => table.close());

  it("gives each session item its longest-lived message's expiry plus the grace, and never shortens it", async () => {
    const { userId } = await storeMixedTtls(table);
    const sessionExpiry = async (session: string) => {
      const [item] = (await table.itemsWithPk(key.session(`${userId}-${session}`).pk)).filter((i) => i['sk'] === 'SESSION');
      return item!['expiresAt'] === undefined ? undefined : Number(item!['expiresAt']);
    };
    const storedAt = (minute: number) => Math.floor((start + minute * 60_000) / 1000);
    assert.equal(await sessionExpiry('a'), undefined, 'a message with no TTL: the session never expires');
    assert.equal(await sessionExpiry('b'), storedAt(4) + (365 + graceDays) * day, 'the year-long message sets it; the later one-day store keeps it');
    assert.equal(await sessionExpiry('c'), storedAt(7) + (30 + graceDays) * day, 'a longer TTL later lengthens it');
    const [summaryItem] = (await table.itemsWithPk(key.session(`${userId}-b`).pk)).filter((i) => i['sk'] === 'SUMMARY');
    assert.equal(Number(summaryItem!['expiresAt']), await sessionExpiry('b'), 'the summary lives as long as its session item');
    // The grace keeps the items for forget-user only: reads see a session end with its last message.
    const later = new ChatMemory({ documents: table.connection.documents, tableName: table.tableName, now: () => (storedAt(4) + 365 * day + 1) * 1000 });
    assert.deepEqual((await later.listSessions({ userId })).sessions.map((s) => s.sessionId), [`${userId}-a`]);
    assert.equal(await later.summary(`${userId}-b`), undefined);
  });

  it('a process that remembers an expiry another process has since lengthened does not shorten it', async () => {
    const sessionId = uniqueName('two-processes');
    let clock = start;
    const memories = [0, 1].map(() => new ChatMemory({ documents: table.connection.documents, tableName: table.tableName, now: () => clock }));
    // The session has an owner; the later stores name none (a flow may store replies without one).
    const store = (process: number, ttlDays: number | undefined, userId?: string) => {
      clock += 60_000;
      return memories[process]!.store(parseStoreRequest({ sessionId, role: 'user', payload: `ttl ${ttlDays}`, ...(ttlDays ? { ttlDays } : {}), ...(userId ? { userId } : {}) }));
    };
    await store(0, 1, uniqueName('owner'));
    await store(1, 365);
    await store(0, 30);
    await store(1, undefined);
    await store(0, 2);
    const [session] = (await table.itemsWithPk(key.session(sessionId).pk)).filter((i) => i['sk'] === 'SESSION');
    assert.equal(session!['expiresAt'], undefined);
    assert.equal(session!['messageCount'], 5);
  });

  it('forget-user leaves 0 items whenever it runs after each expiry, whatever TTL deleted first', async () => {
    // One scenario per instant: just before the first expiry, just after each one, and after the last.
    const probe = await storeMixedTtls(table);
    const instants = [...new Set(probe.expiries)].sort((a, b) => a - b);
    const moments = [instants[0]! - 1, ...instants.map((s) => s + 1)].map((s) => s * 1000);
    for (const nowMs of moments) {
      const { userId } = await storeMixedTtls(table);
      await deleteExpired(table, nowMs);
      const memory = new ChatMemory({ documents: table.connection.documents, tableName: table.tableName, now: () => nowMs });
      await memory.forgetUser({ userId });
      await memory.close();
      const left = await itemsOf(table, userId);
      assert.deepEqual(left.map((i) => `${i['pk']} ${i['sk']}`), [], `forget-user at ${new Date(nowMs).toISOString()} left items`);
    }
  });
});
