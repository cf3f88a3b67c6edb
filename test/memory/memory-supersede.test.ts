/**
 * A remember that supersedes what it contradicts (onContradiction 'supersede'), against a real
 * DynamoDB Local: the new record and the end of the old ones are one transaction, so a failure
 * writes neither, and two remembers ending one record at once end it once.
 */
import assert from 'node:assert/strict';
import type { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { ChatMemory } from '../../lib/memory/chat-memory';
import { parseRecallRequest, parseRememberRequest } from '../../lib/schemas/memory-request';
import { memoryTable, uniqueName, type MemoryTable } from '../support/memory-table';

type Item = Record<string, unknown>;
type Send = (command: TransactWriteCommand) => Promise<unknown>;

const tidy = { mergeAbove: 0.9, contradictionAbove: 0.6 };
const supersede = { ...tidy, onContradiction: 'supersede' };

/** The record Put a transaction adds a new record with (its condition: no such item yet), if any. */
function newRecordPut(command: { constructor: { name: string }; input?: unknown }): { Item: Item; ConditionExpression: string } | undefined {
  if (command.constructor.name !== 'TransactWriteCommand') return undefined;
  const actions = (command.input as { TransactItems: Array<{ Put?: { Item: Item; ConditionExpression?: string } }> }).TransactItems;
  const put = actions.find((action) => action.Put?.Item['kind'] === 'memory' && action.Put.ConditionExpression === 'attribute_not_exists(#pk)');
  return put?.Put as { Item: Item; ConditionExpression: string } | undefined;
}

describe('long-term memory: a remember that supersedes what it contradicts', () => {
  let table: MemoryTable;
  before(async () => (table = await memoryTable()));
  after(() => table.close());

  const memories = () => table.memory.memories;
  /** A ChatMemory whose TransactWriteCommands go through `send` first (a cache of its own, as another process has). */
  const through = (send: (command: TransactWriteCommand, forward: Send) => Promise<unknown>) => {
    const documents = table.connection.documents;
    const forward: Send = (command) => documents.send(command as never);
    const proxied = new Proxy(documents, {
      get: (target, name, receiver) =>
        name === 'send'
          ? (command: TransactWriteCommand) => (command.constructor.name === 'TransactWriteCommand' ? send(command, forward) : target.send(command as never))
          : Reflect.get(target, name, receiver),
    });
    return new ChatMemory({ documents: proxied, tableName: table.tableName });
  };
  const remember = (userId: string, records: unknown[], settings: Item = supersede, memory = table.memory) =>
    memory.memories.remember(parseRememberRequest({ scope: 'user', userId, records, ...settings }));
  const itemsOf = async (userId: string, kind: string) => (await table.itemsWithPk(`USER#${userId}`)).filter((i) => i['kind'] === kind);
  const validHomes = async (userId: string) =>
    (await memories().recall(parseRecallRequest({ scope: 'user', userId, query: 'I live in', kind: 'home', k: 10 }))).memories.map((m) => m.text);

  it('adds the record and ends the one it contradicts in one write: validTo, version, UPDATE entry, supersedes, one version bump', async () => {
    const userId = uniqueName('u');
    const [lisbon] = await remember(userId, [{ text: 'I live in Lisbon', kind: 'home' }]);
    const versionBefore = Number((await itemsOf(userId, 'memory-version'))[0]!['version']);
    const validFrom = new Date().toISOString();
    const review = await memories().rememberForReview(parseRememberRequest({ scope: 'user', userId, records: [{ text: 'I live in Porto', kind: 'home', validFrom }], ...supersede }));
    const porto = review.records[0]!;
    assert.equal(porto.outcome, 'added');
    assert.deepEqual([porto.contradicts, porto.supersedes], [[lisbon!.id], [lisbon!.id]]);
    assert.equal(porto.metadata['supersedes'], lisbon!.id, 'named as extraction names what an UPDATE supersedes');
    const ended = await memories().get({ scope: 'user', userId, id: lisbon!.id });
    assert.deepEqual([ended.text, ended.validTo, ended.version], ['I live in Lisbon', validFrom, 2]);
    assert.deepEqual(review.contradicted.map((m) => [m.id, m.validTo, m.version]), [[lisbon!.id, validFrom, 2]], 'the review shows it ended');
    assert.equal(Number((await itemsOf(userId, 'memory-version'))[0]!['version']), versionBefore + 1, 'the scope goes up once');
    const { items } = await memories().history({ scope: 'user', userId, id: lisbon!.id });
    assert.deepEqual(items.map((c) => [c.action, c.oldText, c.newText, c.version]), [['UPDATE', 'I live in Lisbon', 'I live in Porto', 2], ['ADD', undefined, 'I live in Lisbon', 1]]);
    assert.deepEqual(await validHomes(userId), ['I live in Porto']);
    const asOf = await memories().recall(parseRecallRequest({ scope: 'user', userId, query: 'I live in', kind: 'home', validAt: lisbon!.createdAt }));
    assert.deepEqual(asOf.memories.map((m) => m.text), ['I live in Lisbon']);
  });

  it('ends every record it contradicts (metadata.supersedes an array then), now when no validFrom is given', async () => {
    const userId = uniqueName('u');
    const flagged = await remember(userId, [{ text: 'I live in Lisbon', kind: 'home' }, { text: 'I live in Braga', kind: 'home' }], tidy);
    const [porto] = await remember(userId, [{ text: 'I live in Porto', kind: 'home' }]);
    assert.deepEqual([...porto!.supersedes!].sort(), flagged.map((r) => r.id).sort());
    assert.deepEqual([...(porto!.metadata['supersedes'] as string[])].sort(), flagged.map((r) => r.id).sort());
    for (const { id } of flagged) assert.equal((await memories().get({ scope: 'user', userId, id })).validTo, porto!.createdAt);
    assert.deepEqual(await validHomes(userId), ['I live in Porto']);
  });

  it('writes nothing of a supersession whose new record fails: the old record is not ended, and the retry ends it once', async () => {
    const userId = uniqueName('u');
    const [lisbon] = await remember(userId, [{ text: 'I live in Lisbon', kind: 'home' }]);
    let failed = 0;
    const faulty = through(async (command, forward) => {
      const put = newRecordPut(command);
      if (put === undefined || failed > 0) return forward(command);
      // The first time: the new record's Put fails its condition, as if its id were taken.
      failed++;
      put.ConditionExpression = 'attribute_exists(#pk)';
      const error = await forward(command).then(() => undefined, (reason: Error) => reason);
      assert.equal(error?.name, 'TransactionCanceledException');
      const [old] = (await itemsOf(userId, 'memory')).filter((i) => i['id'] === lisbon!.id);
      assert.deepEqual([old!['validTo'], old!['version']], [undefined, 1], 'the old record is not ended');
      assert.equal((await itemsOf(userId, 'memory')).length, 1, 'nor is the new one stored');
      throw error;
    });
    const [porto] = await remember(userId, [{ text: 'I live in Porto', kind: 'home' }], supersede, faulty);
    assert.equal(failed, 1);
    assert.deepEqual(porto!.supersedes, [lisbon!.id]);
    const { items } = await memories().history({ scope: 'user', userId, id: lisbon!.id });
    assert.deepEqual(items.map((c) => c.action), ['UPDATE', 'ADD']);
    assert.deepEqual(await validHomes(userId), ['I live in Porto']);
  });

  it('ends a record once when two remembers supersede it at once: the later one decides again and ends the first', async function () {
    this.timeout(60_000);
    const userId = uniqueName('u');
    const [lisbon] = await remember(userId, [{ text: 'I live in Lisbon', kind: 'home' }]);
    // Both remembers decide before either writes: their first transactions wait for each other.
    let arrived = 0;
    let release: () => void = () => {};
    const bothArrived = new Promise<void>((resolve) => (release = resolve));
    const held = () =>
      through(async (command, forward) => {
        if (newRecordPut(command) !== undefined && arrived < 2) {
          if (++arrived === 2) release();
          await bothArrived;
        }
        return forward(command);
      });
    const results = await Promise.all([
      remember(userId, [{ text: 'I live in Porto', kind: 'home' }], supersede, held()),
      remember(userId, [{ text: 'I live in Faro', kind: 'home' }], supersede, held()),
    ]);
    assert.equal(arrived, 2);
    const [first, second] = results.map(([record]) => record!);
    const [winner, loser] = first!.supersedes![0] === lisbon!.id ? [first!, second!] : [second!, first!];
    assert.deepEqual(winner.supersedes, [lisbon!.id]);
    assert.deepEqual(loser.supersedes, [winner.id], 'the later one found the first one valid, not Lisbon');
    const { items } = await memories().history({ scope: 'user', userId, id: lisbon!.id });
    assert.deepEqual(items.map((c) => [c.action, c.newText, c.version]), [['UPDATE', winner.text, 2], ['ADD', 'I live in Lisbon', 1]], 'ended once');
    assert.equal((await memories().get({ scope: 'user', userId, id: lisbon!.id })).version, 2);
    assert.deepEqual(await validHomes(userId), [loser.text]);
  });
});
