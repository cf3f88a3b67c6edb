/** Working memory in the core against a real DynamoDB Local: capacity under concurrency, eviction policies, TTL, the reasoning chain, clear and forget-user. */
import assert from 'node:assert/strict';
import { DeleteCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { MemoryInputError } from '../../lib/errors/input-errors';
import { ChatMemory } from '../../lib/memory/chat-memory';
import { key, type MemoryScope } from '../../lib/memory/table-layout';
import type { AddWorkingResult } from '../../lib/memory/working-memory';
import { parseStoreRequest } from '../../lib/schemas/store-request';
import { parseAddWorkingRequest, type EvictionPolicy } from '../../lib/schemas/working-request';
import { memoryTable, scanMemoryItems, uniqueName, type MemoryTable } from '../support/memory-table';

describe('working memory core', () => {
  let table: MemoryTable;
  before(async () => (table = await memoryTable()));
  after(() => table.close());

  const working = () => table.memory.working;
  const named = (namespace: string) => ({ scope: 'named' as const, namespace });
  const counter = async (scope: MemoryScope) =>
    (await table.connection.documents.send(new GetCommand({ TableName: table.tableName, Key: key.workingCount(scope), ConsistentRead: true }))).Item;
  const entryItems = async (pk: string) => (await table.itemsWithPk(pk)).filter((i) => i['kind'] === 'working-entry');

  /** 50 adds at once, in call order n0..n49: every fifth is of importance 10, the others 1 to 9. */
  const fiftyAtOnce = (scope: Record<string, string>, policy: EvictionPolicy) =>
    Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        working().add(parseAddWorkingRequest({ ...scope, text: `n${i}`, importance: i % 5 === 0 ? 10 : (i % 9) + 1, capacity: 10, policy })),
      ),
    );

  const assertExactlyTen = async (pk: string, scope: MemoryScope, results: AddWorkingResult[]) => {
    const items = await entryItems(pk);
    assert.equal(items.length, 10, 'a full scan finds exactly the capacity');
    assert.equal(Number((await counter(scope))!['count']), 10, 'the counter says the same');
    const stored = results.filter((r) => r.stored).length;
    const evicted = results.reduce((n, r) => n + r.evicted.length, 0);
    assert.equal(stored - evicted, 10, 'what was stored less what was evicted is what is left');
    return items.map((i) => String(i['text'])).sort();
  };

  it('keeps exactly the capacity under 50 concurrent adds, the most important surviving (importance, session scope)', async function () {
    this.timeout(120_000);
    const userId = uniqueName('u');
    const sessionId = uniqueName('s');
    await table.memory.store(parseStoreRequest({ sessionId, userId, role: 'user', payload: 'hi' }));
    const results = await fiftyAtOnce({ scope: 'session', sessionId, userId }, 'importance');
    const survivors = await assertExactlyTen(`SESSION#${sessionId}`, { sessionId }, results);
    assert.deepEqual(survivors, Array.from({ length: 10 }, (_, i) => `n${i * 5}`).sort());
    const listed = await working().list({ scope: 'session', sessionId, userId, order: 'importance' });
    assert.ok(listed.every((e) => e.importance === 10));
  });

  for (const policy of ['oldest', 'lru'] as const) {
    it(`keeps exactly the capacity under 50 concurrent adds, the newest surviving (${policy}${policy === 'lru' ? ', nothing read' : ''})`, async function () {
      this.timeout(120_000);
      const namespace = uniqueName('ns');
      const results = await fiftyAtOnce(named(namespace), policy);
      const survivors = await assertExactlyTen(`MEMORY#NAMED#${namespace}`, { namespace }, results);
      assert.deepEqual(survivors, Array.from({ length: 10 }, (_, i) => `n${40 + i}`).sort());
    });
  }

  it('tells what 50 concurrent adds into capacity 10 cost in requests (figures for docs/data-model.md)', async function () {
    this.timeout(120_000);
    const calls: Record<string, number> = {};
    const documents = table.connection.documents;
    const counting = new Proxy(documents, {
      get: (target, name, receiver) =>
        name === 'send'
          ? (command: { constructor: { name: string } }) => {
              calls[command.constructor.name] = (calls[command.constructor.name] ?? 0) + 1;
              return target.send(command as never);
            }
          : Reflect.get(target, name, receiver),
    });
    const memory = new ChatMemory({ documents: counting, tableName: table.tableName });
    const namespace = uniqueName('ns');
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => memory.working.add(parseAddWorkingRequest({ ...named(namespace), text: `n${i}`, importance: (i % 10) + 1, capacity: 10 }))),
    );
    assert.equal((await entryItems(`MEMORY#NAMED#${namespace}`)).length, 10);
    const transactions = calls['TransactWriteCommand'] ?? 0;
    const queries = calls['QueryCommand'] ?? 0;
    console.log(`      50 adds, capacity 10: ${transactions} transactions (${(transactions / 50).toFixed(1)} an add), ${queries} queries`);
    assert.ok(transactions >= 50 && transactions < 50 * 10, `${transactions} transactions`);
  });

  it('evicts the least recently used: a touch (get) keeps an entry, also when adds come at once', async () => {
    const namespace = uniqueName('ns');
    const add = (text: string, capacity: number) => working().add(parseAddWorkingRequest({ ...named(namespace), text, capacity, policy: 'lru' }));
    const [a] = [await add('a', 3), await add('b', 3), await add('c', 3)];
    const touched = await working().get({ ...named(namespace), id: a!.entry.id });
    assert.equal(touched.accessCount, 1);
    const d = await add('d', 3);
    assert.deepEqual(d.evicted.map((e) => e.text), ['b']);
    assert.deepEqual((await working().list({ ...named(namespace), order: 'lru' })).map((e) => e.text), ['d', 'a', 'c']);

    const other = uniqueName('ns');
    const firsts = [];
    for (let i = 0; i < 10; i++) firsts.push((await working().add(parseAddWorkingRequest({ ...named(other), text: `old${i}`, capacity: 10, policy: 'lru' }))).entry);
    for (const entry of firsts.slice(0, 5)) await working().get({ ...named(other), id: entry.id });
    await Promise.all(Array.from({ length: 5 }, (_, i) => working().add(parseAddWorkingRequest({ ...named(other), text: `new${i}`, capacity: 10, policy: 'lru' }))));
    const left = (await working().list(named(other))).map((e) => e.text).sort();
    assert.deepEqual(left, ['new0', 'new1', 'new2', 'new3', 'new4', 'old0', 'old1', 'old2', 'old3', 'old4']);
  });

  it('does not store an entry the policy ranks below everything kept, and says so', async () => {
    const namespace = uniqueName('ns');
    for (const importance of [7, 8]) await working().add(parseAddWorkingRequest({ ...named(namespace), text: `i${importance}`, importance, capacity: 2 }));
    const low = await working().add(parseAddWorkingRequest({ ...named(namespace), text: 'trivia', importance: 2, capacity: 2 }));
    assert.equal(low.stored, false);
    assert.deepEqual(low.evicted, []);
    const high = await working().add(parseAddWorkingRequest({ ...named(namespace), text: 'key fact', importance: 9, capacity: 2 }));
    assert.equal(high.stored, true);
    assert.deepEqual(high.evicted.map((e) => e.text), ['i7']);
    assert.deepEqual((await working().list({ ...named(namespace), order: 'importance' })).map((e) => e.text), ['key fact', 'i8']);
  });

  it('lets expired entries block no add, whether DynamoDB deleted them yet or not', async () => {
    let clock = Date.now();
    const memory = new ChatMemory({ documents: table.connection.documents, tableName: table.tableName, now: () => clock });
    const namespace = uniqueName('ns');
    const add = (text: string) => memory.working.add(parseAddWorkingRequest({ ...named(namespace), text, capacity: 3, ttlSeconds: 60 }));
    for (const text of ['a', 'b', 'c']) await add(text);
    clock += 120_000;
    assert.deepEqual(await memory.working.list(named(namespace)), [], 'expired entries are not listed');
    const d = await add('d');
    assert.equal(d.stored, true);
    assert.equal(d.expiredRemoved, 3);
    assert.deepEqual(d.evicted, []);
    assert.equal(Number((await counter({ namespace }))!['count']), 1);
    await add('e');
    await add('f');
    // DynamoDB's TTL deletes items without telling the counter: the counter says 3, one entry is there.
    clock += 120_000;
    for (const item of await entryItems(`MEMORY#NAMED#${namespace}`)) {
      if (item['text'] !== 'f') await table.connection.documents.send(new DeleteCommand({ TableName: table.tableName, Key: { pk: item['pk'], sk: item['sk'] } }));
    }
    const g = await add('g');
    assert.equal(g.stored, true, 'the counter was set to the one entry there is, which made room');
    assert.equal(Number((await counter({ namespace }))!['count']), 2, 'g and the expired f, which an add that needs its place deletes');
    assert.deepEqual((await memory.working.list(named(namespace))).map((e) => e.text), ['g']);
  });

  it('reads the reasoning chain back complete and in each writer\'s append order under concurrent appends', async function () {
    this.timeout(60_000);
    const namespace = uniqueName('ns');
    const writers = ['w0', 'w1', 'w2', 'w3', 'w4'];
    await Promise.all([
      ...writers.map(async (writer) => {
        for (let i = 0; i < 10; i++) await working().addStep({ ...named(namespace), text: `${writer}-${i}` });
      }),
      // A writer that does not wait for its appends still gets its order.
      Promise.all(Array.from({ length: 20 }, (_, i) => working().addStep({ ...named(namespace), text: `fire-${i}` }))),
    ]);
    const chain = (await working().steps(named(namespace))).map((s) => s.text);
    assert.equal(chain.length, 70);
    for (const writer of [...writers, 'fire']) {
      const own = chain.filter((t) => t.startsWith(`${writer}-`));
      assert.deepEqual(own, Array.from({ length: own.length }, (_, i) => `${writer}-${i}`));
    }
  });

  it('clears the scope: entries, steps and counter (a full scan finds none), and counts from 0 again', async () => {
    const namespace = uniqueName('ns');
    for (let i = 0; i < 4; i++) await working().add(parseAddWorkingRequest({ ...named(namespace), text: `e${i}`, capacity: 3 }));
    await working().addStep({ ...named(namespace), text: 'first, look at the question' });
    await working().addStep({ ...named(namespace), text: 'then, answer it' });
    assert.deepEqual(await working().clear(named(namespace)), { entries: 3, steps: 2 });
    const left = (await scanMemoryItems(table.tableName)).filter((i) => String(i['pk']).includes(namespace));
    assert.deepEqual(left, []);
    await working().add(parseAddWorkingRequest({ ...named(namespace), text: 'again', capacity: 3 }));
    assert.equal(Number((await counter({ namespace }))!['count']), 1);
  });

  it('keeps a session\'s working memory to an existing session and its owner, and forget-user erases it', async function () {
    this.timeout(60_000);
    const userId = uniqueName('u');
    const sessionId = uniqueName('s');
    const session = { scope: 'session' as const, sessionId, userId };
    await assert.rejects(
      working().add(parseAddWorkingRequest({ ...session, text: 'x', capacity: 3 })),
      (e: MemoryInputError) => e.text === 'input.memory-session-missing',
    );
    await table.memory.store(parseStoreRequest({ sessionId, userId, role: 'user', payload: 'plan my trip' }));
    const added = await working().add(parseAddWorkingRequest({ ...session, text: 'the user wants to go to Porto', capacity: 3, ttlSeconds: 3600 }));
    await working().add(parseAddWorkingRequest({ ...session, text: 'budget is small', capacity: 3 }));
    await working().addStep({ ...session, text: 'step 1: find trains' });
    await assert.rejects(working().list({ ...session, userId: 'someone-else' }), (e: Error) => e.name === 'SessionOwnershipError');
    await assert.rejects(working().get({ ...session, id: '01ARZ3NDEKTSV4RRFFQ69G5FAV' }), (e: MemoryInputError) => e.text === 'input.working-missing');
    assert.equal((await working().get({ ...session, id: added.entry.id })).text, 'the user wants to go to Porto');
    const removed = await working().add(parseAddWorkingRequest({ ...session, text: 'to be removed', capacity: 3 }));
    assert.equal((await working().remove({ ...session, id: removed.entry.id })).text, 'to be removed');
    assert.equal(Number((await counter({ sessionId }))!['count']), 2, 'a remove frees its place');
    const result = await table.memory.forgetUser({ userId });
    assert.equal(result.deleted['working-entry'], 2);
    assert.equal(result.deleted['working-step'], 1);
    assert.equal(result.deleted['working-count'], 1);
    const mentions = (await scanMemoryItems(table.tableName)).filter((item) => JSON.stringify(item).includes(sessionId) || JSON.stringify(item).includes(userId));
    assert.deepEqual(mentions, []);
  });

  it('refuses adds and steps in a session whose user is being forgotten', async () => {
    const userId = uniqueName('u');
    const sessionId = uniqueName('s');
    const session = { scope: 'session' as const, sessionId, userId };
    await table.memory.store(parseStoreRequest({ sessionId, userId, role: 'user', payload: 'hi' }));
    await working().add(parseAddWorkingRequest({ ...session, text: 'first', capacity: 1 }));
    // As a forget job marks each session first (forget-job.ts).
    await table.connection.documents.send(
      new UpdateCommand({ TableName: table.tableName, Key: key.session(sessionId), UpdateExpression: 'SET forgetting = :t', ExpressionAttributeValues: { ':t': true } }),
    );
    const refused = (e: MemoryInputError) => e.text === 'input.session-being-forgotten';
    await assert.rejects(working().add(parseAddWorkingRequest({ ...session, text: 'room', capacity: 5 })), refused);
    await assert.rejects(working().add(parseAddWorkingRequest({ ...session, text: 'evicting', capacity: 1 })), refused);
    await assert.rejects(working().addStep({ ...session, text: 'a step' }), refused);
    assert.deepEqual((await entryItems(`SESSION#${sessionId}`)).map((i) => i['text']), ['first'], 'nothing written');
  });

  it('fills {{working}} in the context with the session\'s entries (most important first) and its reasoning chain in order, in its own share', async () => {
    const userId = uniqueName('u');
    const sessionId = uniqueName('s');
    const session = { scope: 'session' as const, sessionId, userId };
    await table.memory.store(parseStoreRequest({ sessionId, userId, role: 'user', payload: 'plan my trip to Porto' }));
    await working().add(parseAddWorkingRequest({ ...session, text: 'budget is 200 euros', importance: 4, capacity: 5 }));
    await working().add(parseAddWorkingRequest({ ...session, text: 'the user cannot travel before Friday', importance: 9, capacity: 5 }));
    await working().addStep({ ...session, text: 'find trains to Porto' });
    await working().addStep({ ...session, text: 'check prices against the budget' });
    const template = 'Scratchpad:\n{{working}}';
    const { context } = await table.memory.context({ sessionId, userId, payload: 'and hotels?', tokenBudget: 2000, template });
    assert.equal(
      context.working.text,
      '- the user cannot travel before Friday\n- budget is 200 euros\n1. find trains to Porto\n2. check prices against the budget',
    );
    assert.deepEqual([context.working.count, context.working.total], [4, 4]);
    assert.ok(context.system.text.includes('2. check prices against the budget'));
    const tight = await table.memory.context({ sessionId, userId, payload: 'and hotels?', tokenBudget: 2000, template, shares: { working: 1 } });
    assert.ok(tight.context.working.count < 4, 'the share limits it');
    const without = await table.memory.context({ sessionId, userId, payload: 'and hotels?', tokenBudget: 2000 });
    assert.deepEqual([without.context.working.text, without.context.working.total], ['', 0], 'not read without {{working}}');
  });
});
