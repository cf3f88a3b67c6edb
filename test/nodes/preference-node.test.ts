/**
 * The preference node in a real Node-RED runtime on DynamoDB Local. (The test helper loads no
 * message catalogs, so statuses are checked by colour; the install test loads the catalog.)
 */
import assert from 'node:assert/strict';
import { scanTable, uniqueName } from '../support/memory-table';
import { loadMemoryFlow, refusesBadInput, sent, startNodeRed, stopNodeRed, unloadFlow, type MemoryFlow, type Msg } from '../support/node-flow';



/** Sends all msgs at once; resolves when each has come out or reached Catch. */
async function sendAll(flow: MemoryFlow, msgs: Msg[]): Promise<{ sent: Msg[]; errors: string[] }> {
  const outcomes = await Promise.all(msgs.map((msg) => flow.run('pref', msg)));
  return {
    sent: outcomes.flatMap((o) => (o.sent ? [o.sent] : [])),
    errors: outcomes.flatMap((o) => (o.error !== undefined ? [o.error] : [])),
  };
}

describe('preference node', () => {
  let flow: MemoryFlow;
  before(startNodeRed);
  after(stopNodeRed);
  beforeEach(async () => (flow = await loadMemoryFlow([{ id: 'pref', type: 'dynamodb-memory-preference' }])));
  afterEach(unloadFlow);

  it('sets, gets one key and all keys; a key that is not set leaves no payload', async () => {
    const userId = uniqueName('u');
    const setOut = await sent(flow, 'pref', { operation: 'set', userId, key: 'language', payload: 'pt' });
    assert.deepEqual(setOut['preferences'], { language: 'pt' });
    assert.equal(setOut['payload'], 'pt', 'set leaves msg.payload as it was');
    const one = await sent(flow, 'pref', { userId, key: 'language', payload: 'stale' });
    assert.equal(one['payload'], 'pt');
    const missing = await sent(flow, 'pref', { userId, key: 'colour', payload: 'stale' });
    assert.equal('payload' in missing, false);
    assert.deepEqual(missing['preferences'], { language: 'pt' });
    const all = await sent(flow, 'pref', { userId });
    assert.deepEqual(all['payload'], { language: 'pt' });
    assert.equal(flow.lastStatus('pref')?.fill, 'green');
  });

  it('keeps all 50 keys set concurrently for one user', async function () {
    this.timeout(60_000);
    const userId = uniqueName('u');
    const { sent: outs, errors } = await sendAll(
      flow,
      Array.from({ length: 50 }, (_, i) => ({ operation: 'set', userId, key: `k${i}`, payload: { n: i } })),
    );
    assert.deepEqual(errors, []);
    assert.equal(outs.length, 50);
    const all = await sent(flow, 'pref', { userId });
    assert.deepEqual(all['preferences'], Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, { n: i }])));
    const items = await scanTable(flow.tableName);
    assert.equal(items.filter((i) => i['kind'] === 'preference-change' && i['userId'] === userId).length, 50);
  });

  it('records every concurrent set of the same key, the newest entry being the value', async function () {
    this.timeout(60_000);
    const userId = uniqueName('u');
    const { errors } = await sendAll(flow, Array.from({ length: 6 }, (_, i) => ({ operation: 'set', userId, key: 'theme', payload: `t${i}` })));
    assert.deepEqual(errors, []);
    const out = await sent(flow, 'pref', { operation: 'history', userId, key: 'theme' });
    const changes = out['payload'] as Msg[];
    assert.equal(changes.length, 6);
    assert.equal((out['preferences'] as Msg)['theme'], changes[0]!['newValue']);
  });

  it('merges an object, deletes one key and then all, and lists the history newest first', async () => {
    const userId = uniqueName('u');
    await sent(flow, 'pref', { operation: 'set', userId, key: 'theme', payload: 'dark' });
    const merged = await sent(flow, 'pref', { operation: 'merge', userId, payload: { theme: 'light', units: { temperature: 'C' } } });
    assert.deepEqual(merged['preferences'], { theme: 'light', units: { temperature: 'C' } });
    const deleted = await sent(flow, 'pref', { operation: 'delete', userId, key: 'theme' });
    assert.deepEqual(deleted['preferences'], { units: { temperature: 'C' } });
    const cleared = await sent(flow, 'pref', { operation: 'delete', userId, key: '' });
    assert.deepEqual(cleared['preferences'], {});
    const history = await sent(flow, 'pref', { operation: 'history', userId, limit: 3 });
    const changes = history['payload'] as Msg[];
    assert.deepEqual(
      changes.map(({ key, oldValue, newValue }) => ({ key, oldValue, newValue })),
      [
        { key: 'units', oldValue: { temperature: 'C' }, newValue: undefined },
        { key: 'theme', oldValue: 'light', newValue: undefined },
        // The merge's two keys are written side by side; the third newest is one of them.
        changes[2]!['key'] === 'theme'
          ? { key: 'theme', oldValue: 'dark', newValue: 'light' }
          : { key: 'units', oldValue: undefined, newValue: { temperature: 'C' } },
      ],
    );
    const items = await scanTable(flow.tableName);
    assert.equal(items.filter((i) => i['kind'] === 'preference').length, 0);
    assert.equal(items.filter((i) => i['kind'] === 'preference-change').length, 5);
  });

  it('reads the operation, user, key and value from the node settings', async () => {
    await unloadFlow();
    const fixed = await loadMemoryFlow([
      { id: 'pref', type: 'dynamodb-memory-preference', operation: 'set', userId: 'ana', userIdType: 'str', key: 'tone', keyType: 'str', value: '{"formal":true}', valueType: 'json' },
    ]);
    const out = await sent(fixed, 'pref', { payload: 'ignored' });
    assert.deepEqual(out['preferences'], { tone: { formal: true } });
  });

  describe('bad input reaches Catch, turns the status red and writes nothing', () => {
    const cases: Array<[string, Msg, RegExp]> = [
      ['a missing userId', { operation: 'set', key: 'k', payload: 1 }, /userId is required/],
      ['a __proto__ key', { operation: 'set', userId: 'u', key: '__proto__', payload: 1 }, /key: must be .*not "__proto__"/],
      ['a __proto__ key in a merge', { operation: 'merge', userId: 'u', payload: JSON.parse('{"ok": 1, "__proto__": {"x": 1}}') }, /values: the key "__proto__"/],
      ['a __proto__ key inside a value', { operation: 'set', userId: 'u', key: 'k', payload: JSON.parse('{"__proto__": {"x": 1}}') }, /value: value has the key "__proto__"/],
      ['a key with #', { operation: 'set', userId: 'u', key: 'a#b', payload: 1 }, /key: must be a non-empty string/],
      ['a key with a control character', { operation: 'get', userId: 'u', key: 'a\u0007b' }, /key: must be a non-empty string/],
      ['a user id with #', { operation: 'get', userId: 'a#b' }, /userId: must be a non-empty string/],
      ['a value too large for one item', { operation: 'set', userId: 'u', key: 'notes', payload: 'x'.repeat(500 * 1024) }, /preference "notes" is 500\.\d KB; DynamoDB stores at most 400 KB/],
      ['a merge with one value too large', { operation: 'merge', userId: 'u', payload: { small: 1, notes: 'x'.repeat(500 * 1024) } }, /at most 400 KB/],
      ['a set without a value', { operation: 'set', userId: 'u', key: 'k' }, /value is required/],
      ['a merge of a non-object', { operation: 'merge', userId: 'u', payload: 'dark' }, /values: must be an object/],
      ['an unknown operation', { operation: 'upsert', userId: 'u', key: 'k', payload: 1 }, /operation: must be one of "get", "set", "merge", "delete", "history"/],
      ['a history limit out of range', { operation: 'history', userId: 'u', limit: 5000 }, /limit: must be a whole number from 1 to 1000/],
    ];
    refusesBadInput(() => flow, 'pref', cases);
  });
});
