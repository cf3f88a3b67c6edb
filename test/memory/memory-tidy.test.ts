/**
 * Memory that keeps itself tidy (issue 14, item 3), against a real DynamoDB Local: a remember near a
 * valid record merges into it, a possible contradiction is stored and flagged, and neither crosses
 * embedders, scopes or users.
 */
import assert from 'node:assert/strict';
import { ChatMemory } from '../../lib/memory/chat-memory';
import { differInContent, decide } from '../../lib/memory/memory-tidy';
import { parseRecallRequest, parseRememberRequest, parseUpdateMemoryRequest } from '../../lib/schemas/memory-request';
import { parseStoreRequest } from '../../lib/schemas/store-request';
import { memoryTable, uniqueName, type MemoryTable } from '../support/memory-table';

const tidy = { mergeAbove: 0.9, contradictionAbove: 0.6 };

describe('long-term memory: merging near-duplicates and flagging contradictions', () => {
  let table: MemoryTable;
  before(async () => (table = await memoryTable()));
  after(() => table.close());

  const memories = () => table.memory.memories;
  const remember = (userId: string, records: unknown[], settings: Record<string, unknown> = tidy, memory = table.memory) =>
    memory.memories.remember(parseRememberRequest({ scope: 'user', userId, records, ...settings }));
  const records = async (pk: string) => (await table.itemsWithPk(pk)).filter((i) => i['kind'] === 'memory');

  it('merges a near-duplicate into the record: access count, importance max, sources added, metadata kept, a MERGE entry, one record', async () => {
    const userId = uniqueName('u');
    const [first] = await remember(userId, [
      { text: 'My favourite band is Radiohead', kind: 'fact', importance: 4, sourceMessageIds: ['m1'], metadata: { said: 'first', session: 's1' } },
    ]);
    assert.equal(first!.outcome, 'added');
    const [merged] = await remember(userId, [
      { text: 'Radiohead is my favourite band', kind: 'fact', importance: 7, sourceMessageIds: ['m2', 'm1'], metadata: { said: 'second', channel: 'web' } },
    ]);
    assert.equal(merged!.outcome, 'merged');
    assert.equal(merged!.id, first!.id);
    assert.ok(merged!.similarity! >= 0.9 && merged!.similarity! < 1, `similarity ${merged!.similarity}`);
    const stored = await memories().get({ scope: 'user', userId, id: first!.id });
    assert.equal(stored.text, 'My favourite band is Radiohead', 'the record keeps its text');
    assert.equal(stored.importance, 7);
    assert.equal(stored.accessCount, 1);
    assert.equal(stored.version, 2);
    assert.deepEqual(stored.sourceMessageIds, ['m1', 'm2']);
    assert.deepEqual(stored.metadata, { said: 'first', session: 's1', channel: 'web' });
    assert.deepEqual({ ...merged, outcome: undefined, similarity: undefined }, { ...stored, outcome: undefined, similarity: undefined });
    // A lower importance never lowers it; none given keeps it.
    await remember(userId, [{ text: 'my favourite band is Radiohead!', kind: 'fact', importance: 2 }]);
    assert.equal((await memories().get({ scope: 'user', userId, id: first!.id })).importance, 7);
    assert.equal((await records(`USER#${userId}`)).length, 1);
    const { items } = await memories().history({ scope: 'user', userId, id: first!.id });
    assert.deepEqual(
      items.map((c) => [c.action, c.oldText, c.newText, c.version]),
      [
        ['MERGE', 'My favourite band is Radiohead', 'my favourite band is Radiohead!', 3],
        ['MERGE', 'My favourite band is Radiohead', 'Radiohead is my favourite band', 2],
        ['ADD', undefined, 'My favourite band is Radiohead', 1],
      ],
    );
    // The vector item learnt the new importance: a recall (cached, then delta) scores with it.
    const recalled = await memories().recall(parseRecallRequest({ scope: 'user', userId, query: 'favourite band' }));
    await recalled.accessRecorded;
    assert.equal(recalled.memories[0]!.importance, 7);
  });

  it('merges concurrent remembers of the same text into the record that exists: still one record, every merge counted', async function () {
    this.timeout(60_000);
    const userId = uniqueName('u');
    const [existing] = await remember(userId, [{ text: 'Ana is allergic to peanuts', kind: 'fact' }]);
    // Two caches, as two Node-RED processes have, and six remembers at once.
    const other = new ChatMemory({ documents: table.connection.documents, tableName: table.tableName });
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => remember(userId, [{ text: 'Ana is allergic to peanuts.', kind: 'fact', sourceMessageIds: [`m${i}`] }], tidy, i % 2 ? other : table.memory)),
    );
    assert.ok(results.every(([r]) => r!.outcome === 'merged' && r!.id === existing!.id));
    assert.equal((await records(`USER#${userId}`)).length, 1);
    const stored = await memories().get({ scope: 'user', userId, id: existing!.id });
    assert.equal(stored.accessCount, 6);
    assert.equal(stored.version, 7);
    assert.deepEqual([...stored.sourceMessageIds!].sort(), ['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
    const { items } = await memories().history({ scope: 'user', userId, id: existing!.id, limit: 100 });
    assert.equal(items.filter((c) => c.action === 'MERGE').length, 6);
  });

  it('concurrent first remembers of one text into a scope that has none leave one record, the others merged into it', async function () {
    this.timeout(60_000);
    const userId = uniqueName('u');
    // Each remember through its own cache, as separate Node-RED processes: all decide "add" at once.
    const caches = Array.from({ length: 6 }, () => new ChatMemory({ documents: table.connection.documents, tableName: table.tableName }));
    const results = await Promise.all(caches.map((memory, i) => remember(userId, [{ text: 'Ana plays the tenor saxophone', kind: 'fact', sourceMessageIds: [`m${i}`] }], tidy, memory)));
    const stored = await records(`USER#${userId}`);
    assert.equal(stored.length, 1, 'no copies');
    assert.equal(results.filter(([r]) => r!.outcome === 'added').length, 1);
    assert.ok(results.every(([r]) => r!.id === stored[0]!['id']));
    assert.deepEqual([...(stored[0]!['sourceMessageIds'] as string[])].sort(), ['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
  });

  it('stores a possible contradiction and names the record it may contradict; supersession keeps the old one answerable as of before', async () => {
    const userId = uniqueName('u');
    const [lisbon] = await remember(userId, [{ text: 'I live in Lisbon', kind: 'home' }]);
    // Said later: valid from when it was said (a record without validFrom is valid at any time).
    const [porto] = await remember(userId, [{ text: 'I live in Porto', kind: 'home', validFrom: new Date().toISOString() }]);
    assert.equal(porto!.outcome, 'added');
    assert.deepEqual(porto!.contradicts, [lisbon!.id]);
    const review = await memories().rememberForReview(parseRememberRequest({ scope: 'user', userId, records: [{ text: 'I live in Braga', kind: 'home', validFrom: new Date().toISOString() }], ...tidy }));
    assert.deepEqual(review.contradicted.map((m) => m.text).sort(), ['I live in Lisbon', 'I live in Porto']);
    assert.ok(review.contradicted.every((m) => m.similarity >= 0.6 && m.similarity < 0.9));
    assert.equal((await records(`USER#${userId}`)).length, 3, 'a contradiction is stored');
    // The flow resolves it: Lisbon stops being true now, and stays answerable as of before.
    await memories().update(parseUpdateMemoryRequest({ scope: 'user', userId, id: lisbon!.id, validTo: porto!.validFrom }));
    const now = await memories().recall(parseRecallRequest({ scope: 'user', userId, query: 'where do I live', k: 5 }));
    assert.ok(now.memories.every((m) => m.id !== lisbon!.id));
    const before = await memories().recall(parseRecallRequest({ scope: 'user', userId, query: 'where do I live', validAt: lisbon!.createdAt }));
    assert.deepEqual(before.memories.map((m) => m.text), ['I live in Lisbon']);
    // A superseded record is not valid: nothing merges into it, nor is contradicted by, it any more.
    const [again] = await remember(userId, [{ text: 'I live in Lisbon', kind: 'home' }]);
    assert.equal(again!.outcome, 'added');
    assert.notEqual(again!.id, lisbon!.id);
    assert.ok(!again!.contradicts?.includes(lisbon!.id));
  });

  it('respects the thresholds: below mergeAbove adds, an addition is no contradiction, another kind neither, none set adds as before', async () => {
    const userId = uniqueName('u');
    const [peanuts] = await remember(userId, [{ text: 'Ana is allergic to peanuts', kind: 'fact' }]);
    // 0.86: below 0.9, and it only adds words.
    const [more] = await remember(userId, [{ text: 'Ana is allergic to peanuts and shellfish', kind: 'fact' }]);
    assert.equal(more!.outcome, 'added');
    assert.equal(more!.contradicts, undefined);
    // The same text, another kind: neither merged nor flagged.
    const [pref] = await remember(userId, [{ text: 'Ana is allergic to peanuts', kind: 'preference' }]);
    assert.equal(pref!.outcome, 'added');
    assert.equal(pref!.contradicts, undefined);
    // mergeAbove 0.99: the reordered text (0.91) is a possible contradiction? No: same words, nothing replaced.
    const [reordered] = await remember(userId, [{ text: 'Allergic to peanuts is Ana', kind: 'fact' }], { mergeAbove: 0.99, contradictionAbove: 0.6 });
    assert.equal(reordered!.outcome, 'added');
    assert.equal(reordered!.contradicts, undefined);
    // contradictionAbove above the similarity (0.79): not flagged.
    const [shellfish] = await remember(userId, [{ text: 'Ana is allergic to shellfish', kind: 'fact' }], { mergeAbove: 0.9, contradictionAbove: 0.95 });
    assert.equal(shellfish!.contradicts, undefined);
    const [flagged] = await remember(userId, [{ text: 'Ana is allergic to cats', kind: 'fact' }], { contradictionAbove: 0.6 });
    assert.ok(flagged!.contradicts!.includes(peanuts!.id));
    // No setting: added as it always was, without an outcome.
    const [plain] = await remember(userId, [{ text: 'Ana is allergic to peanuts', kind: 'fact' }], {});
    assert.equal(plain!.outcome, undefined);
    assert.equal((await records(`USER#${userId}`)).length, 7);
  });

  it('merges within one array, and never across embedders, scopes or users', async () => {
    const userId = uniqueName('u');
    const array = await remember(userId, [{ text: 'Ana likes oat milk' }, { text: 'ana likes oat milk.' }]);
    assert.deepEqual(array.map((r) => r.outcome), ['added', 'merged']);
    assert.equal(array[1]!.id, array[0]!.id);
    // Another embedder: the same text with the flow's vector is a record of its own.
    const [external] = await remember(userId, [{ text: 'Ana likes oat milk', embedding: [1, 0, 0] }]);
    assert.equal(external!.outcome, 'added');
    const [externalAgain] = await remember(userId, [{ text: 'Ana likes oat milk', embedding: [0.99, 0.01, 0] }]);
    assert.equal(externalAgain!.outcome, 'merged');
    assert.equal(externalAgain!.id, external!.id);
    // Another user, a session of the same user, a named namespace: each adds.
    const [otherUser] = await remember(uniqueName('u'), [{ text: 'Ana likes oat milk' }]);
    assert.equal(otherUser!.outcome, 'added');
    const sessionId = uniqueName('s');
    await table.memory.store(parseStoreRequest({ sessionId, userId, role: 'user', payload: 'hi' }));
    const [inSession] = await memories().remember(parseRememberRequest({ scope: 'session', sessionId, userId, records: [{ text: 'Ana likes oat milk' }], ...tidy }));
    assert.equal(inSession!.outcome, 'added');
    const [named] = await memories().remember(parseRememberRequest({ scope: 'named', namespace: uniqueName('n'), records: [{ text: 'Ana likes oat milk' }], ...tidy }));
    assert.equal(named!.outcome, 'added');
    assert.equal((await records(`USER#${userId}`)).length, 2);
  });

  it('tells a replaced content word from an added one', () => {
    assert.equal(differInContent('I live in Lisbon', 'I live in Porto'), true);
    assert.equal(differInContent('The concert starts at 8pm', 'The concert starts at 9pm'), true);
    assert.equal(differInContent('Ana is allergic to peanuts', 'Ana is allergic to peanuts and shellfish'), false);
    assert.equal(differInContent('I live in Lisbon', 'I live in the Lisbon'), false, 'stop words do not count');
    assert.equal(differInContent('Ana likes her coffee without sugar', 'Ana likes her coffee with sugar'), true, 'a negation dropped');
    assert.equal(differInContent('I like jazz', "I don't like jazz"), true, 'a negation added');
    const near = (text: string, similarity: number, kind?: string) => ({ text, similarity, ...(kind ? { kind } : {}) });
    assert.deepEqual(decide([near('a b', 0.95, 'x')], { text: 'a b', kind: 'y' }, tidy), { contradicts: [] });
  });
});
