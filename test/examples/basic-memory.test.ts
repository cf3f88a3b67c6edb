/**
 * examples/basic-memory.json as shipped, deployed to a real Node-RED (a child process on a temporary
 * user directory that links this repo, the way `npm start` runs it) with only its connection pointed
 * at the test run's DynamoDB Local, on a table that does not exist yet; driven as its comment tells a
 * person to, by clicking its inject buttons, and read from its debug nodes in the editor's websocket.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deployFlows, type FlowNode } from '../../scripts/node-red-process';
import { openComms, pressInject, type Comms } from '../support/editor-comms';
import { startLinkedNodeRed, repoRoot as root, type LinkedNodeRed } from '../support/linked-node-red';
import { localCredentials, scanMemoryItems, tableStatus, uniqueName } from '../support/memory-table';
import { dynamoDBLocal } from '../support/root-hooks';

const example = JSON.parse(readFileSync(join(root, 'examples', 'basic-memory.json'), 'utf8')) as FlowNode[];
const named = (type: string, name: string) => example.find((n) => n.type === type && n['name'] === name)!;

describe('example: basic memory', function () {
  this.timeout(120_000);
  let linked: LinkedNodeRed | undefined;
  let comms: Comms | undefined;
  const tableName = uniqueName('basic');

  before(async function () {
    this.timeout(180_000);
    linked = await startLinkedNodeRed('flowmemory-basic-');
    comms = await openComms(linked.nodeRed.url, ['debug', 'status/#']);
    const flow = example.map((node) =>
      node.type === 'dynamodb-memory-config'
        ? { ...node, endpoint: dynamoDBLocal().endpoint, table: tableName, authType: 'keys', credentials: localCredentials }
        : node,
    );
    await deployFlows(linked.nodeRed.url, flow);
  });

  after(async function () {
    this.timeout(60_000);
    comms?.close();
    await linked?.stop();
  });

  /** Clicks the inject button and resolves with what the debug node then shows (its msg text). */
  async function click(injectName: string, debugName: string): Promise<string> {
    const seen = comms!.events.length;
    await pressInject(linked!.nodeRed.url, named('inject', injectName).id);
    const debugId = named('debug', debugName).id;
    const shown = await comms!.next((e) => e.topic === 'debug' && e.data['id'] === debugId, seen).catch((error: Error) => {
      throw new Error(`${error.message}\n${linked!.nodeRed.output()}`);
    });
    return String(shown.data['msg']);
  }

  it('is one tab with a comment and one connection on the AWS credential chain that creates its table, without credentials', () => {
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
