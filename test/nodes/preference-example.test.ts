/**
 * examples/user-preferences.json as shipped, in a real Node-RED runtime: only the connection is
 * pointed at DynamoDB Local and the debug node swapped for a helper that records what reaches it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import helper from 'node-red-node-test-helper';
import { localCredentials, uniqueName } from '../support/memory-table';
import { dynamoDBLocal } from '../support/root-hooks';
import { startNodeRed, stopNodeRed, unloadFlow, type Msg } from '../support/node-flow';

type FlowNode = Msg & { id: string; type: string; name?: string };

/* eslint-disable @typescript-eslint/no-require-imports */
const modules = [
  require('../../credentials/dynamodb-memory-config'),
  require('../../nodes/dynamodb-memory-preference'),
  require('@node-red/nodes/core/common/20-inject'),
  require('@node-red/nodes/core/common/90-comment'),
];

describe('example: user preferences', () => {
  before(startNodeRed);
  after(stopNodeRed);
  afterEach(unloadFlow);

  it('sets, merges, gets, deletes and lists the history of ana\'s preferences', async function () {
    this.timeout(30_000);
    const file = join(__dirname, '..', '..', '..', 'examples', 'user-preferences.json');
    const example = JSON.parse(readFileSync(file, 'utf8')) as FlowNode[];
    const userId = uniqueName('ana');
    const flow = example.map((node): FlowNode => {
      if (node.type === 'dynamodb-memory-config') {
        return { ...node, endpoint: dynamoDBLocal().endpoint, table: uniqueName('example'), authType: 'keys' };
      }
      if (node.type === 'debug') return { id: node.id, type: 'helper', z: node['z'], x: 0, y: 0 };
      if (node.type === 'inject') {
        const props = (node['props'] as Msg[]).map((p) => (p['p'] === 'userId' ? { ...p, v: userId } : p));
        return { ...node, props };
      }
      return node;
    });
    assert.equal(example.filter((n) => n.type === 'dynamodb-memory-config').length, 1);
    assert.ok(example.some((n) => n.type === 'comment'));
    await helper.load(modules, flow, { [example.find((n) => n.type === 'dynamodb-memory-config')!.id]: localCredentials });
    const debug = helper.getNode(example.find((n) => n.type === 'debug')!.id);
    const click = (name: string) =>
      new Promise<Msg>((resolve) => {
        debug.once('input', resolve);
        helper.getNode(example.find((n) => n.type === 'inject' && n.name === name)!.id).receive({});
      });
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
