/**
 * examples/user-sessions.json as shipped, in a real Node-RED runtime: only the connection is pointed
 * at DynamoDB Local, the user id made unique, and the debug nodes swapped for helpers.
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
  require('../../nodes/dynamodb-memory-store'),
  require('../../nodes/dynamodb-memory-history'),
  require('../../nodes/dynamodb-memory-clear'),
  require('@node-red/nodes/core/common/20-inject'),
  require('@node-red/nodes/core/common/90-comment'),
];

describe("example: a user's sessions", () => {
  before(startNodeRed);
  after(stopNodeRed);
  afterEach(unloadFlow);

  it("lists ana's sessions newest first, then forgets her", async function () {
    this.timeout(30_000);
    const example = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'examples', 'user-sessions.json'), 'utf8')) as FlowNode[];
    const userId = uniqueName('ana');
    const rename = (v: unknown) => (typeof v === 'string' ? v.replace(/^ana/, userId) : v);
    const flow = example.map((node): FlowNode => {
      if (node.type === 'dynamodb-memory-config') return { ...node, endpoint: dynamoDBLocal().endpoint, table: uniqueName('example'), authType: 'keys' };
      if (node.type === 'debug') return { id: node.id, type: 'helper', z: node['z'], x: 0, y: 0 };
      if (node.type === 'inject') return { ...node, props: (node['props'] as Msg[]).map((p) => ({ ...p, v: rename(p['v']) })) };
      return node;
    });
    assert.ok(example.some((n) => n.type === 'comment'));
    await helper.load(modules, flow, { [example.find((n) => n.type === 'dynamodb-memory-config')!.id]: localCredentials });
    const click = (injectName: string, debugName: string) =>
      new Promise<Msg>((resolve) => {
        helper.getNode(example.find((n) => n.type === 'debug' && n.name === debugName)!.id).once('input', resolve);
        helper.getNode(example.find((n) => n.type === 'inject' && n.name === injectName)!.id).receive({});
      });
    await click('ana chats on monday', 'stored');
    await click('ana chats on friday', 'stored');
    const listed = (await click("list ana's sessions", 'sessions'))['sessions'] as Msg[];
    assert.deepEqual(listed.map((s) => s['sessionId']), [`${userId}-friday`, `${userId}-monday`]);
    const forgotten = await click('forget ana', 'forgotten');
    assert.deepEqual((forgotten['memory'] as Msg)['deleted'], { message: 2, session: 2, user: 1 });
    assert.deepEqual((await click("list ana's sessions", 'sessions'))['sessions'], []);
  });
});
