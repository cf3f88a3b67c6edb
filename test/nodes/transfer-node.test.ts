/**
 * The export / import node (dynamodb-memory-transfer) in a real Node-RED runtime on DynamoDB Local:
 * an export sends one msg per part with msg.parts, an import takes a part or an array of parts,
 * bad input is refused with done(err) and a red status and writes nothing; and
 * examples/user-transfer.json as shipped (connections pointed at DynamoDB Local, debug nodes
 * swapped for helpers), with a real join node.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import helper from 'node-red-node-test-helper';
import type { ExportPart } from '../../lib/schemas/transfer-request';
import { localCredentials, scanMemoryItems, uniqueName } from '../support/memory-table';
import { dynamoDBLocal } from '../support/root-hooks';
import { loadMemoryFlow, sent, startNodeRed, stopNodeRed, unloadFlow, type MemoryFlow, type Msg } from '../support/node-flow';

type Parts = { id: string; type: string; index: number; count?: number };

/** Every msg the node sends for one input msg, until the one that says how many there are. */
function exportMsgs(nodeId: string, msg: Msg): Promise<Msg[]> {
  const msgid = uniqueName('msg');
  return new Promise((resolve, reject) => {
    const got: Msg[] = [];
    const out = helper.getNode(`${nodeId}-out`);
    const caught = helper.getNode('caught');
    const onSent = (m: Msg) => {
      if (m['_msgid'] !== msgid) return;
      got.push(m);
      const count = (m['parts'] as Parts).count;
      if (count !== undefined && got.length === count) finish(() => resolve(got));
    };
    const onCaught = (c: Msg) => {
      if (c['_msgid'] === msgid) finish(() => reject(new Error((c['error'] as { message: string }).message)));
    };
    const finish = (then: () => void) => {
      out.removeListener('input', onSent);
      caught.removeListener('input', onCaught);
      then();
    };
    out.on('input', onSent);
    caught.on('input', onCaught);
    helper.getNode(nodeId).receive({ ...msg, _msgid: msgid });
  });
}

describe('export / import node', () => {
  let flow: MemoryFlow;
  before(async () => {
    await startNodeRed();
    flow = await loadMemoryFlow([
      { id: 'store', type: 'dynamodb-memory-store' },
      { id: 'export', type: 'dynamodb-memory-transfer', partRecords: '2' },
      { id: 'import', type: 'dynamodb-memory-transfer', operation: 'import' },
    ]);
  });
  after(async () => {
    await unloadFlow();
    await stopNodeRed();
  });

  it('exports one msg per part, in order, with msg.parts for a join node; importing them again writes nothing, as another user is refused', async () => {
    const userId = uniqueName('ana');
    const sessionId = uniqueName('s');
    await sent(flow, 'store', { sessionId, userId, payload: ['one', 'two', 'three'], topic: 'kept' });
    const msgs = await exportMsgs('export', { userId, topic: 'kept', payload: 'trigger' });
    const parts = msgs.map((m) => m['parts'] as Parts);
    // The user marker, then the session (repeated in each part) with one message, at 2 records a part.
    assert.equal(msgs.length, 4);
    assert.deepEqual(parts.map((p) => [p.index, p.type, p.count]), [[0, 'array', undefined], [1, 'array', undefined], [2, 'array', undefined], [3, 'array', 4]]);
    assert.equal(new Set(parts.map((p) => p.id)).size, 1);
    assert.ok(msgs.every((m) => m['topic'] === 'kept'), 'the rest of the msg is kept on every part');
    const payloads = msgs.map((m) => m['payload'] as ExportPart);
    assert.deepEqual(payloads.map((p) => [p.part, p.last]), [[0, false], [1, false], [2, false], [3, true]]);
    assert.deepEqual(payloads.flatMap((p) => p.sessions ?? []).flatMap((s) => s.messages.map((m) => m.content)), ['one', 'two', 'three']);
    assert.equal(flow.lastStatus('export')?.fill, 'green');

    // All parts in one msg, as the join node makes them, into the table they came from: all there already.
    const again = (await sent(flow, 'import', { payload: payloads }))['payload'] as Msg;
    assert.deepEqual(again, { userId, parts: [0, 1, 2, 3], last: true, written: {}, unchanged: 4 });
    assert.equal(flow.lastStatus('import')?.fill, 'green');
    // As another user, the session is someone else's here: refused, nothing written.
    const before = await scanMemoryItems(flow.tableName);
    const refused = await flow.run('import', { userId: uniqueName('ben'), payload: payloads[3] });
    assert.equal(refused.error, `SessionOwnershipError: session "${sessionId}" belongs to another user`);
    assert.deepEqual(await scanMemoryItems(flow.tableName), before);
  });

  it('refuses a malformed part, or an export without a user, with done(err) and a red status, writing nothing', async () => {
    const userId = uniqueName('ana');
    await sent(flow, 'store', { sessionId: uniqueName('s'), userId, payload: 'hi' });
    const [good] = (await exportMsgs('export', { userId })).map((m) => m['payload'] as ExportPart);
    const before = await scanMemoryItems(flow.tableName);
    const cases: Array<[Msg, string]> = [
      [{}, 'MemoryInputError: userId is required'],
      [{ payload: { ...good, version: 2 } }, 'MemoryInputError: payload.version: must be one of 1'],
      [{ payload: [good, { ...good, format: 'langchain' }] }, 'MemoryInputError: payload.1.format: must be one of "flowmemory.user-export"'],
      [{ payload: [] }, 'MemoryInputError: payload: must be a part of a user export, or an array of them'],
      [{ payload: 'not json' }, 'MemoryInputError: payload: must be a part of a user export, or an array of them'],
    ];
    for (const [msg, error] of cases) {
      const outcome = await flow.run(msg['payload'] === undefined ? 'export' : 'import', { ...msg, userId: msg['payload'] === undefined ? undefined : uniqueName('x') });
      assert.equal(outcome.error, error);
      assert.equal(flow.lastStatus(msg['payload'] === undefined ? 'export' : 'import')?.fill, 'red');
    }
    assert.deepEqual(await scanMemoryItems(flow.tableName), before);
  });
});

/* eslint-disable @typescript-eslint/no-require-imports */
const exampleModules = [
  require('../../credentials/dynamodb-memory-config'),
  require('../../nodes/dynamodb-memory-store'),
  require('../../nodes/dynamodb-memory-preference'),
  require('../../nodes/dynamodb-memory-history'),
  require('../../nodes/dynamodb-memory-transfer'),
  require('@node-red/nodes/core/common/20-inject'),
  require('@node-red/nodes/core/common/90-comment'),
  require('@node-red/nodes/core/sequence/17-split'),
];

type FlowNode = Msg & { id: string; type: string; name?: string };

describe('example: export and import a user', () => {
  before(startNodeRed);
  after(stopNodeRed);
  afterEach(unloadFlow);

  it("exports ana's data in parts, joins them into one export, and imports them into the copy", async function () {
    this.timeout(60_000);
    const example = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'examples', 'user-transfer.json'), 'utf8')) as FlowNode[];
    const userId = uniqueName('ana');
    const rename = (v: unknown) => (typeof v === 'string' ? v.replace(/^ana/, userId) : v);
    const flow = example.map((node): FlowNode => {
      if (node.type === 'dynamodb-memory-config') return { ...node, endpoint: dynamoDBLocal().endpoint, table: uniqueName(String(node['table'])), authType: 'keys' };
      if (node.type === 'debug') return { id: node.id, type: 'helper', z: node['z'], x: 0, y: 0 };
      // A prop without `v` (the payload) takes the inject's own payload: it must stay without one.
      if (node.type === 'inject') return { ...node, props: (node['props'] as Msg[]).map((p) => ('v' in p ? { ...p, v: rename(p['v']) } : p)) };
      return node;
    });
    assert.ok(example.some((n) => n.type === 'comment'));
    const configs = example.filter((n) => n.type === 'dynamodb-memory-config');
    await helper.load(exampleModules, flow, Object.fromEntries(configs.map((c) => [c.id, localCredentials])));
    const debug = (name: string) => helper.getNode(example.find((n) => n.type === 'debug' && n.name === name)!.id);
    const click = (injectName: string) => helper.getNode(example.find((n) => n.type === 'inject' && n.name === injectName)!.id).receive({});
    const next = (name: string) => new Promise<Msg>((resolve) => debug(name).once('input', resolve));

    for (let i = 0; i < 3; i++) {
      const stored = next('stored');
      click('ana chats');
      await stored;
    }
    const liked = next('stored');
    click('ana likes jazz');
    await liked;

    const imports: Msg[] = [];
    const allImported = new Promise<void>((resolve) => {
      debug('imported').on('input', (m: Msg) => {
        imports.push(m['payload'] as Msg);
        if (imports.length === 3) resolve();
      });
    });
    const joined = next('the export');
    click('export ana');
    const parts = (await joined)['payload'] as ExportPart[];
    // The user marker, the session and its three messages, a preference and its change: 7 records, 3 a part.
    assert.deepEqual(parts.map((p) => [p.part, p.last]), [[0, false], [1, false], [2, true]]);
    assert.deepEqual(parts.flatMap((p) => p.preferences ?? []).map((p) => [p.key, p.value]), [['genre', 'jazz']]);
    await allImported;
    assert.equal(imports.filter((r) => r['last']).length, 1);

    const history = next('history in the copy');
    click("ana's history in the copy");
    assert.deepEqual((await history)['history'], Array.from({ length: 3 }, () => ({ role: 'user', content: 'Any jazz concerts this week?' })));
  });
});
