/**
 * examples/basic-memory.json as shipped, in a real Node-RED child process (test/support/example-replay.ts),
 * on a table that does not exist until its connection creates it: the buttons clicked top to bottom,
 * as its comment says, and what its debug nodes show.
 */
import assert from 'node:assert/strict';
import { readExample, replayedExample } from '../support/example-replay';
import { scanMemoryItems, tableStatus } from '../support/memory-table';

describe('example: basic memory', function () {
  this.timeout(120_000);
  const replay = replayedExample('basic-memory.json');

  it('is one tab with a comment and one connection on the AWS credential chain that creates its table, without credentials', () => {
    const example = readExample('basic-memory.json');
    const configs = example.filter((n) => n.type === 'dynamodb-memory-config');
    assert.equal(configs.length, 1);
    assert.deepEqual(
      [configs[0]!['region'], configs[0]!['table'], configs[0]!['authType'], configs[0]!['createTable'], 'credentials' in configs[0]!],
      ['us-east-1', 'chat-memory', 'chain', true, false],
    );
    assert.equal(example.filter((n) => n.type === 'tab').length, 1);
    assert.equal(example.filter((n) => n.type === 'comment').length, 1);
  });

  it('stores, loads and clears the session "demo" from its buttons, top to bottom', async () => {
    const { click, tableName } = replay();
    const hello = 'Hello! Please remember that my favourite colour is green.';
    assert.equal(await tableStatus(tableName), 'missing');
    const stored = JSON.parse(await click('user says hello', 'stored record')) as Record<string, unknown>;
    assert.deepEqual([stored['sessionId'], stored['role'], stored['content']], ['demo', 'user', hello]);
    // The shipped connection created the table on first use.
    assert.equal((await scanMemoryItems(tableName)).filter((i) => i['kind'] === 'message').length, 1);

    await click('user says hello', 'stored record');
    assert.deepEqual(JSON.parse(await click('load session demo', 'history')), [
      { role: 'user', content: hello },
      { role: 'user', content: hello },
    ]);

    const deleted = JSON.parse(await click('clear session demo', 'deleted')) as Record<string, unknown>;
    assert.equal(deleted['payload'], 2);
    assert.equal(deleted['sessionId'], 'demo');
    assert.deepEqual(JSON.parse(await click('load session demo', 'history')), []);
    assert.deepEqual(await scanMemoryItems(tableName), []);
  });
});
