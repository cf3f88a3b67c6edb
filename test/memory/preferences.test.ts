/** Preferences in the memory core against a real DynamoDB Local: per-key items, audit, concurrency. */
import assert from 'node:assert/strict';
import { MemoryInputError } from '../../lib/errors/input-errors';
import { itemBytes, maxItemBytes } from '../../lib/memory/item-size';
import {
  parsePreferenceHistoryRequest,
  parsePreferenceKeyRequest,
  parsePreferenceMergeRequest,
  parsePreferenceOperation,
  parsePreferenceSetRequest,
} from '../../lib/schemas/preference-request';
import { memoryTable, uniqueName, type MemoryTable } from '../support/memory-table';

describe('preferences core', () => {
  let table: MemoryTable;
  before(async () => (table = await memoryTable()));
  after(() => table.close());

  const prefs = () => table.memory.preferences;
  const set = (userId: string, key: string, value: unknown) => prefs().set(parsePreferenceSetRequest({ userId, key, value }));

  it('sets, gets one key and all keys, and keeps updatedAt and a version on each item', async () => {
    const userId = uniqueName('u');
    await set(userId, 'language', 'pt');
    const result = await set(userId, 'units', { temperature: 'C', nested: [1, null, true] });
    assert.deepEqual(result.preferences, { language: 'pt', units: { temperature: 'C', nested: [1, null, true] } });
    assert.deepEqual(await prefs().get({ userId, key: 'language' }), { preferences: result.preferences, value: 'pt' });
    const missing = await prefs().get({ userId, key: 'nope' });
    assert.equal('value' in missing, false);
    const items = await table.itemsWithPk(`USER#${userId}`);
    const item = items.find((i) => i['sk'] === 'PREF#language')!;
    assert.equal(item['kind'], 'preference');
    assert.equal(item['version'], 1);
    assert.ok(!Number.isNaN(Date.parse(String(item['updatedAt']))));
  });

  it('keeps all 50 keys set concurrently for one user', async function () {
    this.timeout(60_000);
    const userId = uniqueName('u');
    await Promise.all(Array.from({ length: 50 }, (_, i) => set(userId, `k${i}`, i)));
    const { preferences } = await prefs().get({ userId });
    assert.deepEqual(preferences, Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, i])));
    const { changes } = await prefs().history({ userId, limit: 100 });
    assert.equal(changes.length, 50);
  });

  it('serialises concurrent sets of the same key: one audit entry each, the newest is the value', async function () {
    this.timeout(60_000);
    const userId = uniqueName('u');
    const writers = 8;
    await Promise.all(Array.from({ length: writers }, (_, i) => set(userId, 'theme', `t${i}`)));
    const { preferences, changes } = await prefs().history({ userId, key: 'theme', limit: 100 });
    assert.equal(changes.length, writers);
    assert.deepEqual(changes.map((c) => c.newValue).sort(), Array.from({ length: writers }, (_, i) => `t${i}`).sort());
    assert.equal(preferences['theme'], changes[0]!.newValue);
    // Each change saw the one before it: the chain of old → new values is unbroken.
    const oldestFirst = [...changes].reverse();
    assert.equal('oldValue' in oldestFirst[0]!, false);
    for (let i = 1; i < oldestFirst.length; i++) assert.equal(oldestFirst[i]!.oldValue, oldestFirst[i - 1]!.newValue);
  });

  it('merges an object key by key, leaving the other keys alone', async () => {
    const userId = uniqueName('u');
    await set(userId, 'language', 'pt');
    await set(userId, 'theme', 'dark');
    const result = await prefs().merge(parsePreferenceMergeRequest({ userId, values: { theme: 'light', units: 'metric' } }));
    assert.deepEqual(result.preferences, { language: 'pt', theme: 'light', units: 'metric' });
    assert.equal(result.changed, 2);
  });

  it('deletes one key, then all keys, with an audit entry for each', async () => {
    const userId = uniqueName('u');
    await prefs().merge({ userId, values: { a: 1, b: 2, c: 3 } });
    const one = await prefs().delete({ userId, key: 'b' });
    assert.deepEqual(one.preferences, { a: 1, c: 3 });
    assert.equal(one.changed, 1);
    assert.equal((await prefs().delete({ userId, key: 'b' })).changed, 0, 'deleting a missing key writes nothing');
    const all = await prefs().delete({ userId });
    assert.deepEqual(all.preferences, {});
    assert.equal(all.changed, 2);
    const { changes } = await prefs().history({ userId });
    assert.equal(changes.length, 6);
    assert.deepEqual(
      changes.filter((c) => !('newValue' in c)).map((c) => [c.key, c.oldValue]).sort(),
      [['a', 1], ['b', 2], ['c', 3]],
    );
    const left = await table.itemsWithPk(`USER#${userId}`);
    assert.equal(left.filter((i) => i['kind'] === 'preference').length, 0);
    assert.equal(left.filter((i) => i['kind'] === 'preference-change').length, 6);
  });

  it('lists the audit history newest first, with old and new values, per key and with a limit', async () => {
    const userId = uniqueName('u');
    await set(userId, 'theme', 'dark');
    await set(userId, 'language', 'en');
    await set(userId, 'theme', 'light');
    await prefs().delete({ userId, key: 'theme' });
    const { changes } = await prefs().history(parsePreferenceHistoryRequest({ userId }));
    assert.deepEqual(
      changes.map(({ key, oldValue, newValue }) => ({ key, oldValue, newValue })),
      [
        { key: 'theme', oldValue: 'light', newValue: undefined },
        { key: 'theme', oldValue: 'dark', newValue: 'light' },
        { key: 'language', oldValue: undefined, newValue: 'en' },
        { key: 'theme', oldValue: undefined, newValue: 'dark' },
      ],
    );
    const times = changes.map((c) => Date.parse(c.changedAt));
    assert.deepEqual([...times].sort((a, b) => b - a), times);
    const themeOnly = await prefs().history({ userId, key: 'theme', limit: 2 });
    assert.deepEqual(themeOnly.changes.map((c) => c.newValue), [undefined, 'light']);
    assert.deepEqual(themeOnly.preferences, { language: 'en' });
  });

  it('keeps a value that nearly fills an item, dropping only the audit entry\'s old value', async function () {
    this.timeout(30_000);
    const userId = uniqueName('u');
    await set(userId, 'big', 'a'.repeat(300 * 1024));
    await set(userId, 'big', 'b'.repeat(300 * 1024));
    const { changes, preferences } = await prefs().history({ userId });
    assert.equal((preferences['big'] as string)[0], 'b');
    assert.equal(changes[0]!.oldValueOmitted, true);
    assert.equal('oldValue' in changes[0]!, false);
  });

  describe('refuses bad input before writing anything', () => {
    const cases: Array<[string, () => unknown, RegExp]> = [
      ['a missing userId', () => parsePreferenceSetRequest({ key: 'k', value: 1 }), /userId is required/],
      ['a key with #', () => parsePreferenceSetRequest({ userId: 'u', key: 'a#b', value: 1 }), /key: must be a non-empty string/],
      ['a key with a control character', () => parsePreferenceKeyRequest({ userId: 'u', key: 'a\nb' }), /key: must be a non-empty string/],
      // DynamoDB Local keeps `id\udc00` and `id\udc01` apart as values but not as keys: two users would share one.
      ['a userId with an unpaired surrogate', () => parsePreferenceKeyRequest({ userId: 'id\udc00', key: 'k' }), /userId: .*unpaired surrogates/],
      ['a __proto__ key', () => parsePreferenceSetRequest({ userId: 'u', key: '__proto__', value: 1 }), /key: .*"__proto__"/],
      ['a __proto__ key in a merge', () => parsePreferenceMergeRequest({ userId: 'u', values: JSON.parse('{"__proto__": 1}') }), /values: the key "__proto__" must/],
      ['a __proto__ key inside a value', () => parsePreferenceSetRequest({ userId: 'u', key: 'k', value: JSON.parse('{"a": {"__proto__": 1}}') }), /value: .*__proto__/],
      ['NaN', () => parsePreferenceSetRequest({ userId: 'u', key: 'k', value: NaN }), /value: .*NaN/],
      ['a missing value', () => parsePreferenceSetRequest({ userId: 'u', key: 'k' }), /value is required/],
      ['a merge key with #', () => parsePreferenceMergeRequest({ userId: 'u', values: { 'a#b': 1 } }), /values: the key "a#b" must be a non-empty string/],
      ['an empty merge', () => parsePreferenceMergeRequest({ userId: 'u', values: {} }), /values: must be an object/],
      ['an unknown operation', () => parsePreferenceOperation('upsert'), /operation: must be one of/],
    ];
    for (const [what, parse, message] of cases) {
      it(what, () => assert.throws(parse, (e: Error) => e instanceof MemoryInputError && message.test(e.message)));
    }

    it('a value too large for one item', async () => {
      const userId = uniqueName('u');
      await assert.rejects(set(userId, 'big', 'x'.repeat(401 * 1024)), /preference "big" is 401\.\d KB; DynamoDB stores at most 400 KB/);
      await assert.rejects(prefs().merge({ userId, values: { small: 1, big: 'x'.repeat(401 * 1024) } }), /at most 400 KB/);
      assert.deepEqual(await table.itemsWithPk(`USER#${userId}`), []);
    });

    it('a value whose item fits but whose audit entry (longer sort key) would not', async () => {
      const userId = uniqueName('u');
      const preferenceItem = { pk: `USER#${userId}`, sk: 'PREF#k', kind: 'preference', userId, key: 'k', value: '', version: Number.MAX_SAFE_INTEGER, updatedAt: new Date(0).toISOString() };
      const value = 'x'.repeat(maxItemBytes - itemBytes(preferenceItem) - 4);
      assert.ok(itemBytes({ ...preferenceItem, value }) <= maxItemBytes);
      await assert.rejects(set(userId, 'k', value), (e: Error) => e instanceof MemoryInputError && /at most 400 KB/.test(e.message));
      assert.deepEqual(await table.itemsWithPk(`USER#${userId}`), []);
    });
  });
});
