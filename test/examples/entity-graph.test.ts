/**
 * examples/entity-graph.json as shipped, in a real Node-RED child process (test/support/example-replay.ts):
 * its buttons clicked top to bottom, and what its debug node shows after each.
 */
import assert from 'node:assert/strict';
import { replayedExample } from '../support/example-replay';

describe('example: entity graph', function () {
  this.timeout(120_000);
  const replay = replayedExample('entity-graph.json');

  it('upserts Ana and the Blue Note, links, finds, unlinks and no longer finds them', async () => {
    const { click, example } = replay();
    const shown: Array<Record<string, unknown>> = [];
    // Top to bottom, as the comment says.
    for (const inject of example.filter((n) => n.type === 'inject').sort((a, b) => Number(a['y']) - Number(b['y']))) {
      shown.push(JSON.parse(await click(String(inject['name']), 'result')) as Record<string, unknown>);
    }
    assert.equal(shown.length, 6);
    assert.deepEqual([shown[0]!['id'], shown[1]!['id']], ['ana', 'blue-note']);
    assert.deepEqual([shown[2]!['source'], shown[2]!['relation'], shown[2]!['target']], ['ana', 'likes', 'blue-note']);
    assert.deepEqual((shown[3]!['entities'] as Array<Record<string, unknown>>).map((e) => e['id']), ['blue-note']);
    assert.equal(shown[4]!['unlinked'], true);
    assert.deepEqual(shown[5]!['edges'], []);
  });
});
