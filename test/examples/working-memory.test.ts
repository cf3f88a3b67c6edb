/**
 * examples/working-memory.json as shipped, in a real Node-RED child process
 * (test/support/example-replay.ts): its buttons clicked top to bottom, and what its debug node shows.
 */
import assert from 'node:assert/strict';
import { readExample, replayedExample } from '../support/example-replay';

type Msg = Record<string, unknown>;

describe('example: working memory', function () {
  this.timeout(120_000);
  const replay = replayedExample('working-memory.json');

  it('keeps 3 entries, the least important going, and reads the reasoning chain back in order', async () => {
    const example = readExample('working-memory.json');
    assert.equal(example.filter((n) => n.type === 'dynamodb-memory-config').length, 1);
    assert.ok(!example.some((n) => n.type === 'http request'), 'works offline');
    const click = async (name: string) => JSON.parse(await replay().click(name, 'result')) as Msg;
    for (const name of ['add: budget 200 euros', 'add: not before Friday', 'add: prefers trains']) {
      assert.equal(((await click(name))['working'] as Msg)['stored'], true);
    }
    assert.deepEqual((await click('add: likes window seats'))['working'], { stored: false, evicted: [], expiredRemoved: 0 });
    const evicted = ((await click('add: no night trains'))['working'] as { evicted: Msg[] }).evicted;
    assert.deepEqual(evicted.map((e) => e['text']), ['budget is 200 euros']);
    await click('step: find trains');
    await click('step: compare prices');
    const steps = (await click('steps'))['payload'] as Msg[];
    assert.deepEqual(steps.map((s) => s['text']), ['find trains to Porto after Friday', 'compare prices against the budget']);
    const listed = (await click('list'))['payload'] as Msg[];
    assert.deepEqual(listed.map((e) => e['text']), ['cannot travel before Friday', 'no night trains', 'prefers trains to planes']);
    assert.deepEqual((await click('clear'))['payload'], { entries: 3, steps: 2 });
  });
});
