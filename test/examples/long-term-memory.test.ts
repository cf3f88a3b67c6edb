/**
 * examples/long-term-memory.json as shipped, in a real Node-RED child process
 * (test/support/example-replay.ts): its buttons clicked top to bottom, and what its debug node shows.
 * Offline: the memories node's built-in embedder, no embedding service.
 */
import assert from 'node:assert/strict';
import { readExample, replayedExample } from '../support/example-replay';

type Msg = Record<string, unknown>;

describe('example: long-term memory', function () {
  this.timeout(120_000);
  const replay = replayedExample('long-term-memory.json');

  it("remembers three facts about ana and recalls the one each question is about, then lists them and their history", async () => {
    const example = readExample('long-term-memory.json');
    assert.equal(example.filter((n) => n.type === 'dynamodb-memory-config').length, 1);
    assert.ok(example.some((n) => n.type === 'comment'));
    assert.ok(!example.some((n) => n.type === 'http request'), 'works offline');
    const click = async (name: string) => JSON.parse(await replay().click(name, 'result')) as Msg;
    const remembered = [
      await click('remember: allergic to peanuts'),
      await click('remember: favourite band'),
      await click('remember: lives in Lisbon'),
    ].map((msg) => (msg['payload'] as Msg)['text']);
    assert.deepEqual(remembered, ['allergic to peanuts', 'favourite band: the Esbjörn Svensson Trio', 'lives in Lisbon and takes the tram to work']);
    const best = async (question: string) => {
      const out = await click(question);
      const found = out['payload'] as Array<Msg & { score: number }>;
      assert.equal(found.length, 1, `${question}: k = 1`);
      assert.equal((out['recall'] as Msg)['compared'], 3);
      return found[0]!['text'];
    };
    assert.equal(await best('ask: can ana eat a peanut satay?'), 'allergic to peanuts');
    assert.equal(await best('ask: which band does ana like?'), 'favourite band: the Esbjörn Svensson Trio');
    assert.equal(await best('ask: where does ana live?'), 'lives in Lisbon and takes the tram to work');
    const listed = (await click('list'))['payload'] as Msg[];
    assert.equal(listed.length, 3);
    const history = (await click('history'))['payload'] as Msg[];
    assert.deepEqual(history.map((c) => c['action']), ['ADD', 'ADD', 'ADD']);
  });
});
