/** Long-term memory records in the core against a real DynamoDB Local: writes, audit, recall, cache, isolation. */
import assert from 'node:assert/strict';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { ChatMemory } from '../../lib/memory/chat-memory';
import { key } from '../../lib/memory/table-layout';
import { MemoryInputError } from '../../lib/errors/input-errors';
import {
  parseMemoryHistoryRequest,
  parseRecallRequest,
  parseRememberRequest,
  parseUpdateMemoryRequest,
} from '../../lib/schemas/memory-request';
import { parseStoreRequest } from '../../lib/schemas/store-request';
import { memoryTable, scanMemoryItems, uniqueName, type MemoryTable } from '../support/memory-table';

const facts = [
  { text: 'Ana is allergic to peanuts', kind: 'fact', importance: 9 },
  { text: 'Ana prefers window seats on trains', kind: 'preference' },
  { text: 'Ana went to the Lisbon concert in March', kind: 'event' },
  { text: 'Ana works as a nurse at the city hospital', kind: 'fact' },
  { text: 'Ana likes her coffee without sugar', kind: 'preference' },
];

describe('long-term memory core', () => {
  let table: MemoryTable;
  before(async () => (table = await memoryTable()));
  after(() => table.close());

  const memories = () => table.memory.memories;
  const remember = (userId: string, records: unknown[]) => memories().remember(parseRememberRequest({ scope: 'user', userId, records }));
  const recall = (userId: string, query: string, extra: Record<string, unknown> = {}) =>
    memories().recall(parseRecallRequest({ scope: 'user', userId, query, ...extra }));

  it('remembers records with their fields and an ADD audit entry each, in one transaction per 32', async () => {
    const userId = uniqueName('u');
    const written = await remember(userId, facts);
    assert.equal(written.length, 5);
    const first = written[0]!;
    assert.equal(first.text, facts[0]!.text);
    assert.equal(first.kind, 'fact');
    assert.equal(first.importance, 9);
    assert.equal(written[1]!.importance, 5, 'default importance');
    assert.equal(first.accessCount, 0);
    assert.equal(first.embedder, 'hashed-ngrams-v1');
    assert.equal(first.dimension, 384);
    assert.deepEqual(await memories().get({ scope: 'user', userId, id: first.id }), first);
    const items = await table.itemsWithPk(`USER#${userId}`);
    const kinds = items.map((i) => i['kind']).sort();
    assert.deepEqual(kinds, [...Array(5).fill('memory'), ...Array(5).fill('memory-change'), ...Array(5).fill('memory-vector'), 'memory-version'].sort());
    const { items: changes } = await memories().history(parseMemoryHistoryRequest({ scope: 'user', userId }));
    assert.equal(changes.length, 5);
    assert.ok(changes.every((c) => c.action === 'ADD'));
  });

  it('recalls by meaning with the built-in embedder, scored, with filters and a minimum score', async () => {
    const userId = uniqueName('u');
    await remember(userId, facts);
    const result = await recall(userId, 'does Ana have a peanut allergy?', { k: 3 });
    await result.accessRecorded;
    assert.equal(result.path, 'exact');
    assert.equal(result.memories[0]!.text, 'Ana is allergic to peanuts');
    assert.ok(result.memories.length <= 3);
    for (const m of result.memories) assert.ok(m.score >= 0 && m.score <= 1 && m.similarity >= 0 && m.similarity <= 1);
    const prefs = await recall(userId, 'Ana coffee', { kind: 'preference' });
    assert.ok(prefs.memories.every((m) => m.kind === 'preference'));
    assert.equal(prefs.memories[0]!.text, 'Ana likes her coffee without sugar');
    const strict = await recall(userId, 'peanuts', { minScore: 0.99 });
    assert.equal(strict.memories.length, 0);
  });

  it('counts every access of 10 concurrent recalls, with no read-modify-write', async () => {
    const userId = uniqueName('u');
    const [record] = await remember(userId, [{ text: 'Ana is allergic to peanuts' }]);
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        const result = await recall(userId, 'peanuts', { k: 1 });
        await result.accessRecorded;
      }),
    );
    const stored = await memories().get({ scope: 'user', userId, id: record!.id });
    assert.equal(stored.accessCount, 10);
    assert.ok(stored.lastAccessedAt);
  });

  it('updates and forgets with UPDATE and DELETE audit entries (old and new text) and a version on the record', async () => {
    const userId = uniqueName('u');
    const [record] = await remember(userId, [{ text: 'Ana lives in Lisbon', kind: 'fact' }]);
    const updated = await memories().update(parseUpdateMemoryRequest({ scope: 'user', userId, id: record!.id, text: 'Ana lives in Porto', importance: 8 }));
    assert.equal(updated.version, 2);
    assert.equal(updated.text, 'Ana lives in Porto');
    assert.equal(updated.kind, 'fact');
    assert.equal((await recall(userId, 'Porto')).memories[0]!.id, record!.id);
    await memories().forget({ scope: 'user', userId, id: record!.id });
    await assert.rejects(memories().get({ scope: 'user', userId, id: record!.id }), (e: MemoryInputError) => e.text === 'input.memory-missing');
    const { items } = await memories().history({ scope: 'user', userId, id: record!.id });
    assert.deepEqual(
      items.map((c) => [c.action, c.oldText, c.newText]),
      [
        ['DELETE', 'Ana lives in Porto', undefined],
        ['UPDATE', 'Ana lives in Lisbon', 'Ana lives in Porto'],
        ['ADD', undefined, 'Ana lives in Lisbon'],
      ],
    );
    assert.equal((await recall(userId, 'Porto')).memories.length, 0);
    const left = (await table.itemsWithPk(`USER#${userId}`)).filter((i) => i['kind'] === 'memory' || i['kind'] === 'memory-vector');
    assert.equal(left.length, 0, 'record and vector deleted together');
  });

  it('serialises concurrent updates of one record: every change audited, none lost', async function () {
    this.timeout(60_000);
    const userId = uniqueName('u');
    const [record] = await remember(userId, [{ text: 'v0' }]);
    await Promise.all(Array.from({ length: 6 }, (_, i) => memories().update({ scope: 'user', userId, id: record!.id, text: `v${i + 1}` })));
    const stored = await memories().get({ scope: 'user', userId, id: record!.id });
    assert.equal(stored.version, 7);
    const { items } = await memories().history({ scope: 'user', userId, id: record!.id, limit: 100 });
    const oldestFirst = items.reverse();
    for (let i = 1; i < oldestFirst.length; i++) assert.equal(oldestFirst[i]!.oldText, oldestFirst[i - 1]!.newText);
  });

  it('reads the scope once, then only its version item, and sees another process\'s write through the version', async () => {
    const userId = uniqueName('u');
    await remember(userId, facts);
    const cold = await recall(userId, 'peanuts');
    assert.equal(cold.read, 'full');
    const warm = await recall(userId, 'peanuts');
    assert.equal(warm.read, 'cached');
    const other = new ChatMemory({ documents: table.connection.documents, tableName: table.tableName });
    const [added] = await other.memories.remember(parseRememberRequest({ scope: 'user', userId, records: [{ text: 'Ana is allergic to shellfish too' }] }));
    const after = await recall(userId, 'allergic to shellfish');
    assert.equal(after.read, 'delta');
    assert.equal(after.memories[0]!.id, added!.id);
    await other.memories.forget({ scope: 'user', userId, id: added!.id });
    const gone = await recall(userId, 'allergic to shellfish');
    assert.equal(gone.read, 'delta');
    assert.ok(gone.memories.every((m) => m.id !== added!.id));
  });

  it('does not take a scope erased and written again to the same version for the one it cached', async () => {
    const userId = uniqueName('u');
    await remember(userId, [{ text: 'Ana likes jazz' }]);
    assert.equal((await recall(userId, 'jazz')).memories.length, 1);
    await table.memory.forgetUser({ userId });
    const [again] = await remember(userId, [{ text: 'Ana likes jazz and blues' }]);
    const result = await recall(userId, 'jazz');
    assert.equal(result.read, 'full');
    assert.deepEqual(result.memories.map((m) => m.id), [again!.id]);
  });

  it('never compares vectors of different embedders or dimensions', async () => {
    const userId = uniqueName('u');
    await remember(userId, [{ text: 'external one', embedding: [0.1, 0.2, 0.3] }]);
    await assert.rejects(recall(userId, 'external'), (e: MemoryInputError) => e.text === 'input.embedder-mismatch');
    const same = await recall(userId, 'external', { embedding: [0.1, 0.2, 0.31] });
    assert.equal(same.memories[0]!.text, 'external one');
    await remember(userId, [{ text: 'built-in one' }]);
    const mixed = await recall(userId, 'built-in');
    assert.equal(mixed.otherEmbedder, 1);
    assert.ok(mixed.memories.every((m) => m.embedder === 'hashed-ngrams-v1'));
    await assert.rejects(
      memories().update({ scope: 'user', userId, id: same.memories[0]!.id, text: 'new text' }),
      (e: MemoryInputError) => e.text === 'input.memory-embedding-needed',
    );
  });

  it('answers "as of" questions with validFrom / validTo, and leaves expired records out', async () => {
    const userId = uniqueName('u');
    await remember(userId, [
      { text: 'Ana lives in Lisbon', validFrom: '2020-01-01T00:00:00Z', validTo: '2026-06-01T00:00:00Z' },
      { text: 'Ana lives in Porto', validFrom: '2026-06-01T00:00:00Z' },
    ]);
    const now = await recall(userId, 'where does Ana live');
    assert.deepEqual(now.memories.map((m) => m.text), ['Ana lives in Porto']);
    const then = await recall(userId, 'where does Ana live', { validAt: '2025-01-01T00:00:00Z' });
    assert.deepEqual(then.memories.map((m) => m.text), ['Ana lives in Lisbon']);
  });

  it('keeps users apart: 40 users in one table never recall each other\'s records', async function () {
    this.timeout(60_000);
    const users = Array.from({ length: 40 }, () => uniqueName('u'));
    await Promise.all(users.map((userId, i) => remember(userId, [{ text: `secret number ${i} of this user`, metadata: { owner: userId } }])));
    for (const [i, userId] of users.entries()) {
      const result = await recall(userId, `secret number ${(i + 1) % 40}`, { k: 10 });
      assert.equal(result.memories.length, 1);
      assert.deepEqual(result.memories[0]!.metadata, { owner: userId });
    }
  });

  it('keeps a session\'s memory to an existing session, its owner, and its lifetime', async () => {
    const userId = uniqueName('u');
    const sessionId = uniqueName('s');
    await assert.rejects(
      memories().remember(parseRememberRequest({ scope: 'session', sessionId, records: [{ text: 'x' }] })),
      (e: MemoryInputError) => e.text === 'input.memory-session-missing',
    );
    await table.memory.store(parseStoreRequest({ sessionId, userId, role: 'user', payload: 'hi', ttlDays: 1 }));
    const [record] = await memories().remember(parseRememberRequest({ scope: 'session', sessionId, userId, records: [{ text: 'the user asked about trains' }] }));
    assert.ok(record!.expiresAt, 'a session record expires with its session');
    await assert.rejects(
      memories().recall(parseRecallRequest({ scope: 'session', sessionId, userId: 'someone-else', query: 'trains' })),
      (e: Error) => e.name === 'SessionOwnershipError',
    );
    assert.equal((await memories().recall(parseRecallRequest({ scope: 'session', sessionId, userId, query: 'trains' }))).memories.length, 1);
  });

  it('refuses every use of a user\'s memory while the user is being forgotten, writes in their own transaction', async () => {
    const userId = uniqueName('u');
    const [record] = await remember(userId, facts.slice(0, 1));
    // A forget job's item, as forget-job.ts writes it first.
    await table.connection.documents.send(new PutCommand({ TableName: table.tableName, Item: { ...key.forgetJob(userId), kind: 'forget' } }));
    const refused = (e: MemoryInputError) => e.text === 'input.user-being-forgotten';
    await assert.rejects(remember(userId, [{ text: 'more' }]), refused);
    await assert.rejects(recall(userId, 'peanuts'), refused);
    await assert.rejects(memories().update({ scope: 'user', userId, id: record!.id, text: 'changed' }), refused);
    await assert.rejects(memories().forget({ scope: 'user', userId, id: record!.id }), refused);
    await assert.rejects(memories().list({ scope: 'user', userId }), refused);
    await assert.rejects(memories().history({ scope: 'user', userId }), refused);
    await assert.rejects(memories().get({ scope: 'user', userId, id: record!.id }), refused);
    assert.equal((await table.itemsWithPk(`USER#${userId}`)).filter((i) => i['kind'] === 'memory').length, 1, 'nothing written');
  });

  it('forget-user and clear erase the memory records, vectors, audit entries and versions: a full scan finds none', async function () {
    this.timeout(60_000);
    const userId = uniqueName('u');
    const sessionId = uniqueName('s');
    await table.memory.store(parseStoreRequest({ sessionId, userId, role: 'user', payload: 'hi' }));
    await remember(userId, facts);
    await memories().remember(parseRememberRequest({ scope: 'session', sessionId, userId, records: [{ text: 'session note' }] }));
    const bystander = uniqueName('u');
    await remember(bystander, facts.slice(0, 1));
    const result = await table.memory.forgetUser({ userId });
    assert.equal(result.deleted['memory'], 6);
    const mentions = (await scanMemoryItems(table.tableName)).filter((item) => JSON.stringify(item).includes(userId) || String(item['pk']).includes(sessionId));
    assert.deepEqual(mentions, []);
    assert.equal((await recall(bystander, 'peanuts')).memories.length, 1);
  });
});
