/**
 * Keys measured in UTF-8 bytes against DynamoDB's limits (partition keys 2,048, sort keys 1,024, on
 * the table and on gsi1), against a real DynamoDB Local: ids of 256 four-byte characters where a key
 * would grow over its limit are refused as input before anything is written, and keys of exactly
 * the limit work.
 */
import assert from 'node:assert/strict';
import { MemoryInputError } from '../../lib/errors/input-errors';
import { key, keyLimits, type GraphScope } from '../../lib/memory/table-layout';
import { parseStoreRequest } from '../../lib/schemas/store-request';
import { memoryTable, scanMemoryItems, uniqueName, type MemoryTable } from '../support/memory-table';

/** Four bytes in UTF-8, one character to the id rule. */
const emojis = (count: number) => '😀'.repeat(count);
/** The longest id the schemas let through: 256 characters, 1,024 bytes. */
const longest = emojis(256);

function isKeyTooLong(attribute: keyof typeof keyLimits, bytes: number, parts: string) {
  return (error: unknown) => {
    assert.ok(error instanceof MemoryInputError, String(error));
    assert.equal(error.text, 'input.key-too-long');
    assert.deepEqual(error.values, { attribute, bytes, limit: keyLimits[attribute], parts });
    return true;
  };
}

describe('keys measured in UTF-8 bytes', () => {
  let table: MemoryTable;
  before(async () => (table = await memoryTable()));
  after(() => table.close());

  /** The work is refused for that key, and the table is as it was. */
  async function refused(work: () => Promise<unknown>, attribute: keyof typeof keyLimits, bytes: number, parts: string): Promise<void> {
    const before = await scanMemoryItems(table.tableName);
    await assert.rejects(work, isKeyTooLong(attribute, bytes, parts));
    assert.deepEqual(await scanMemoryItems(table.tableName), before);
  }

  const store = (fields: Record<string, unknown>) =>
    table.memory.store(parseStoreRequest({ sessionId: uniqueName('s'), role: 'user', payload: 'hi', ...fields }));
  const user = (): GraphScope => ({ userId: uniqueName('u') });

  describe('message id guard (sk MSGID#<messageId>)', () => {
    it('refuses a messageId of 256 emoji, 1,030 bytes with its prefix, and says so', async () => {
      await refused(() => store({ messageId: longest }), 'sk', 1030, 'messageId 1024');
      await assert.rejects(store({ messageId: longest }), {
        message: `the key "sk" would be 1030 bytes in UTF-8, over DynamoDB's limit of 1024 bytes (bytes of its ids: messageId 1024); nothing was read or written`,
      });
    });

    it("refuses an array when one message's messageId is too long, storing none of them", async () => {
      const payload = [{ role: 'user', content: 'first' }, { role: 'user', content: 'second', messageId: longest }];
      await refused(() => store({ payload }), 'sk', 1030, 'messageId 1024');
    });

    it('stores a messageId of 1,018 bytes (sk of exactly 1,024), once', async () => {
      const sessionId = uniqueName('s');
      const messageId = emojis(254) + 'ab';
      const [first] = await store({ sessionId, messageId });
      const [again] = await store({ sessionId, messageId });
      assert.equal(first!.messageId, messageId);
      assert.equal(again!.duplicate, true);
    });
  });

  describe('session and user (pk, gsi1pk)', () => {
    it('stores and loads with a sessionId and a userId of 256 emoji (keys of 1,032 and 1,029 bytes)', async () => {
      await store({ sessionId: longest, userId: longest, payload: 'long ids' });
      assert.deepEqual((await table.memory.history({ sessionId: longest, userId: longest })).map((r) => r.content), ['long ids']);
      assert.deepEqual((await table.memory.listSessions({ userId: longest })).sessions.map((s) => s.sessionId), [longest]);
    });

    // No id the schemas let through makes these keys too long; the builders measure them anyway.
    for (const [name, build, attribute, prefixBytes, part] of [
      ['session', (id: string) => key.session(id).pk, 'pk', 'SESSION#'.length, 'sessionId'],
      ['user marker', (id: string) => key.userMarker(id).pk, 'pk', 'USER#'.length, 'userId'],
      ["user's sessions", (id: string) => key.userSessions(id), 'gsi1pk', 'USER#'.length, 'userId'],
      ["user's graph", (id: string) => key.graphPartition({ userId: id }), 'pk', 'GRAPH#USER#'.length, 'userId'],
      ['named graph', (id: string) => key.graphPartition({ graph: id }), 'pk', 'GRAPH#NAMED#'.length, 'graph'],
    ] as const) {
      it(`measures the ${name} key (${attribute}) against ${keyLimits[attribute]} bytes`, () => {
        const limit = keyLimits[attribute];
        const fits = 'x'.repeat(limit - prefixBytes);
        assert.equal(Buffer.byteLength(build(fits)), limit);
        assert.throws(() => build(fits + 'x'), isKeyTooLong(attribute, limit + 1, `${part} ${fits.length + 1}`));
      });
    }
  });

  describe('preference (sk PREF#<key>)', () => {
    it('refuses a key of 256 emoji to set, merge (writing none of the keys) and delete', async () => {
      const { userId } = user() as { userId: string };
      await refused(() => table.memory.preferences.set({ userId, key: longest, value: 1 }), 'sk', 1029, 'key 1024');
      await refused(() => table.memory.preferences.merge({ userId, values: { language: 'pt', [longest]: 1 } }), 'sk', 1029, 'key 1024');
      await refused(() => table.memory.preferences.delete({ userId, key: longest }), 'sk', 1029, 'key 1024');
    });

    it('sets and gets a key of 1,019 bytes (sk of exactly 1,024)', async () => {
      const { userId } = user() as { userId: string };
      const preferenceKey = emojis(254) + 'abc';
      await table.memory.preferences.set({ userId, key: preferenceKey, value: 'kept' });
      assert.equal((await table.memory.preferences.get({ userId, key: preferenceKey })).value, 'kept');
    });
  });

  describe('graph (entity, edges out and in, gsi1)', () => {
    it('refuses an entity id of 256 emoji (sk ENTITY#, 1,031 bytes)', async () => {
      await refused(() => table.memory.graph.upsertEntity(user(), { id: longest, type: 'thing' }), 'sk', 1031, 'id 1024');
    });

    it('upserts an entity id of 1,017 bytes (sk of exactly 1,024)', async () => {
      const entity = await table.memory.graph.upsertEntity(user(), { id: emojis(254) + 'a', type: 'thing' });
      assert.equal(entity.type, 'thing');
    });

    it('refuses a link or unlink with a source, relation or target of 256 emoji (sk OUT#…)', async () => {
      const scope = user();
      for (const [link, bytes, parts] of [
        [{ source: longest, relation: 'likes', target: 'b' }, 1036, 'source 1024, relation 5, target 1'],
        [{ source: 'a', relation: longest, target: 'b' }, 1032, 'source 1, relation 1024, target 1'],
        [{ source: 'a', relation: 'likes', target: longest }, 1036, 'source 1, relation 5, target 1024'],
      ] as const) {
        await refused(() => table.memory.graph.link(scope, link), 'sk', bytes, parts);
        await refused(() => table.memory.graph.unlink(scope, link, 'delete'), 'sk', bytes, parts);
      }
    });

    it('measures the incoming edge key (sk IN#…) too', () => {
      assert.throws(() => key.edgeIn(user(), 'a', 'likes', longest), isKeyTooLong('sk', 1035, 'target 1024, relation 5, source 1'));
    });

    it('refuses a link whose index sort key (createdAt#source#target) is over 1,024 bytes', async () => {
      const link = { source: emojis(250), relation: 'r', target: 'b' };
      await refused(() => table.memory.graph.link(user(), link), 'gsi1sk', 1027, 'source 1000, target 1');
    });

    it("refuses relations of a 256-emoji relation in a 256-emoji user's graph (gsi1pk, 2,064 bytes)", async () => {
      await refused(() => table.memory.graph.relations({ userId: longest }, { relation: longest }), 'gsi1pk', 2064, 'userId 1024, relation 1024');
    });

    it('refuses neighbours of an id of 256 emoji, with or without a relation (the sk prefix)', async () => {
      await refused(() => table.memory.graph.neighbours(user(), { id: longest }), 'sk', 1029, 'id 1024');
      await refused(() => table.memory.graph.neighbours(user(), { id: emojis(200), relation: emojis(60) }), 'sk', 1046, 'id 800, relation 240');
    });

    it('links, finds and unlinks an edge whose sort key and index sort key are exactly 1,024 bytes', async () => {
      const scope = user();
      const link = { source: emojis(249), relation: 'r'.repeat(20), target: 'tt' };
      assert.equal(Buffer.byteLength(key.edgeOut(scope, link.source, link.relation, link.target).sk), 1024);
      assert.equal(Buffer.byteLength(key.relationIndexSort(new Date().toISOString(), link.source, link.target)), 1024);
      await table.memory.graph.upsertEntity(scope, { id: link.source, type: 'thing' });
      await table.memory.graph.upsertEntity(scope, { id: link.target, type: 'thing' });
      await table.memory.graph.link(scope, link);
      assert.deepEqual((await table.memory.graph.neighbours(scope, { id: link.source })).edges.map((e) => e.target), [link.target]);
      assert.deepEqual((await table.memory.graph.relations(scope, { relation: link.relation })).edges.map((e) => e.source), [link.source]);
      assert.equal((await table.memory.graph.unlink(scope, link)).unlinked, true);
    });
  });
});
