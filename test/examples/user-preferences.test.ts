/**
 * examples/user-preferences.json as shipped, in a real Node-RED child process
 * (test/support/example-replay.ts): its buttons clicked top to bottom, and what its debug node shows.
 */
import assert from 'node:assert/strict';
import { readExample, replayedExample } from '../support/example-replay';

type Msg = Record<string, unknown>;

describe('example: user preferences', function () {
  this.timeout(120_000);
  const replay = replayedExample('user-preferences.json');

  it('sets, merges, gets, deletes and lists the history of ana\'s preferences', async () => {
    const example = readExample('user-preferences.json');
    assert.equal(example.filter((n) => n.type === 'dynamodb-memory-config').length, 1);
    assert.ok(example.some((n) => n.type === 'comment'));
    const click = async (name: string) => JSON.parse(await replay().click(name, 'result')) as Msg;
    assert.deepEqual((await click('set language = pt'))['preferences'], { language: 'pt' });
    const merged = await click('merge theme, units');
    assert.deepEqual(merged['preferences'], { language: 'pt', theme: 'dark', units: { temperature: 'C', distance: 'km' } });
    assert.equal((await click('get language'))['payload'], 'pt');
    assert.deepEqual((await click('get all'))['payload'], merged['preferences']);
    assert.deepEqual((await click('delete theme'))['preferences'], { language: 'pt', units: { temperature: 'C', distance: 'km' } });
    const history = (await click('history'))['payload'] as Msg[];
    assert.equal(history.length, 4);
    assert.deepEqual([history[0]!['key'], history[0]!['oldValue'], 'newValue' in history[0]!], ['theme', 'dark', false]);
  });
});
