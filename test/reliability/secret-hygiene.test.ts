/**
 * The secret access key and session token of a connection, deployed through the admin API to a real
 * Node-RED (a child process logging at trace level, credentials encrypted with a credentialSecret),
 * appear nowhere a person or a flow can see: the flow file, GET /flows, the credentials the editor
 * reads, the log, node statuses, Catch messages and debug messages (both read from the editor's
 * websocket), after calls that succeed and calls that fail in every way the connection can.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { freePort } from '../../scripts/dynamodb-local';
import { adminApi, deployFlows, deployedFlows, startNodeRed, type FlowNode, type NodeRed } from '../../scripts/node-red-process';
import { openComms, pressInject, type Comms } from '../support/editor-comms';
import { localConnection, localCredentials, uniqueName } from '../support/memory-table';
import { dynamoDBLocal } from '../support/root-hooks';

const root = resolve(__dirname, '..', '..', '..');
/** Distinctive, and with the characters real secrets have (DynamoDB Local takes any secret). */
const secretAccessKey = `hygSecret/${randomBytes(18).toString('base64url')}+Q=`;
const sessionToken = `hygToken/${randomBytes(24).toString('base64url')}+Z=`;
/**
 * DynamoDB Local keeps one database per access key id (the before hook's table must be seen by the
 * flow), and takes only alphanumeric ones: a hyphen makes it refuse the key.
 */
const goodKeyId = localCredentials.accessKeyId;
const badKeyId = 'not-alphanumeric';

async function waitFor(what: string, condition: () => boolean, log: () => string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${log()}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

describe('secret hygiene in a real Node-RED', function () {
  this.timeout(300_000);
  let temp: string;
  let userDir: string;
  let nodeRed: NodeRed | undefined;
  let comms: Comms | undefined;
  let flow: FlowNode[];
  const tableName = uniqueName('hygiene');
  const otherKeysTable = uniqueName('hygiene-other-keys');

  /** A connection on DynamoDB Local carrying the secret and the session token. */
  const connection = (id: string, table: string, settings: Record<string, unknown> = {}, accessKeyId = goodKeyId): FlowNode => ({
    id, type: 'dynamodb-memory-config', name: '', region: 'us-east-1', endpoint: dynamoDBLocal().endpoint, table, authType: 'keys', profile: '',
    createTable: true, requestTimeoutMs: '10000', maxAttempts: '2', ttlDays: '', ...settings,
    credentials: { accessKeyId, secretAccessKey, sessionToken },
  });
  const z = 'hygiene-tab';
  const inject = (id: string, sessionId: string, target: string): FlowNode => ({
    id, type: 'inject', z, name: id, repeat: '', crontab: '', once: false, topic: '', payload: 'my favourite band is Nightwish', payloadType: 'str',
    props: [{ p: 'payload' }, { p: 'sessionId', v: sessionId, vt: 'str' }], x: 100, y: 100, wires: [[target]],
  });
  const session = { sessionId: 'sessionId', sessionIdType: 'msg', userId: '', userIdType: 'str', x: 300, y: 100 };
  const store = (id: string, memory: string, wires: string[][] = [[]]): FlowNode => ({
    id, type: 'dynamodb-memory-store', z, memory, ...session, role: 'user', ttlDays: '', wires,
  });
  const debug = (id: string): FlowNode => ({
    id, type: 'debug', z, name: id, active: true, tosidebar: true, console: false, tostatus: false, complete: 'true', targetType: 'full', x: 500, y: 100, wires: [],
  });
  /** Built in `before`: the endpoint is known once the root hooks have started DynamoDB Local. */
  const buildFlow = (): FlowNode[] => [
    { id: z, type: 'tab', label: 'secret hygiene', disabled: false, info: '' },
    connection('conn-ok', tableName),
    connection('conn-missing', uniqueName('hygiene-missing'), { createTable: false }),
    connection('conn-other-keys', otherKeysTable),
    connection('conn-bad-keys', tableName, {}, badKeyId),
    inject('go-ok', 'hygiene-ok', 'store-ok'),
    store('store-ok', 'conn-ok', [['history-ok']]),
    {
      id: 'history-ok', type: 'dynamodb-memory-history', z, memory: 'conn-ok', ...session, count: '10', tokenBudget: '', format: 'records',
      property: 'history', mode: 'history', wires: [['debug-ok']],
    },
    debug('debug-ok'),
    inject('go-missing', 'hygiene-missing', 'store-missing'),
    store('store-missing', 'conn-missing'),
    inject('go-invalid', 'bad#session', 'store-invalid'),
    store('store-invalid', 'conn-ok'),
    inject('go-other-keys', 'hygiene-other', 'store-other-keys'),
    store('store-other-keys', 'conn-other-keys'),
    inject('go-bad-keys', 'hygiene-bad-keys', 'store-bad-keys'),
    store('store-bad-keys', 'conn-bad-keys'),
    { id: 'catch-all', type: 'catch', z, name: '', scope: null, uncaught: false, x: 100, y: 300, wires: [['debug-caught']] },
    debug('debug-caught'),
  ];

  /** What a person or a flow can see, by where it was seen. */
  const places = (): Record<string, string> => ({
    'flows.json': readFileSync(join(userDir, 'flows.json'), 'utf8'),
    'flows_cred.json (encrypted)': readFileSync(join(userDir, 'flows_cred.json'), 'utf8'),
    'the trace-level log': nodeRed!.output(),
    'the editor websocket (statuses, debug and Catch messages)': comms!.raw.join('\n'),
  });

  before(async function () {
    // A table whose keys are not the pack's: a store on it makes DynamoDB answer ValidationException.
    const local = localConnection();
    await local.client
      .send(new CreateTableCommand({
        TableName: otherKeysTable, BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'N' }], KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      }))
      .finally(() => local.client.destroy());

    temp = mkdtempSync(join(tmpdir(), 'flowmemory-hygiene-'));
    userDir = join(temp, 'user');
    mkdirSync(join(userDir, 'node_modules', '@flowmemory'), { recursive: true });
    symlinkSync(root, join(userDir, 'node_modules', '@flowmemory', 'node-red-dynamodb'), 'junction');
    writeFileSync(
      join(userDir, 'settings.js'),
      `module.exports = {
  flowFile: 'flows.json',
  credentialSecret: ${JSON.stringify(randomBytes(16).toString('hex'))},
  uiHost: '127.0.0.1',
  logging: { console: { level: 'trace', metrics: false, audit: true } },
};
`,
    );
    nodeRed = await startNodeRed({ userDir, port: await freePort(), startTimeoutMs: 120_000 });
    comms = await openComms(nodeRed.url, ['debug', 'status/#', 'notification/#']);
    flow = buildFlow();
    await deployFlows(nodeRed.url, flow);

    const log = () => `${nodeRed!.output()}\n${comms!.raw.join('\n')}`;
    const trigger = (id: string) => pressInject(nodeRed!.url, id);
    const debugMessages = (id: string) => comms!.events.filter((e) => e.topic === 'debug' && e.data['id'] === id);
    await trigger('go-ok');
    await waitFor('the history of the stored message', () => debugMessages('debug-ok').length === 1, log);
    for (const id of ['go-missing', 'go-invalid', 'go-other-keys', 'go-bad-keys']) await trigger(id);
    await waitFor('four errors at Catch', () => debugMessages('debug-caught').length === 4, log, 120_000);
  });

  after(async function () {
    this.timeout(60_000);
    comms?.close();
    await nodeRed?.stop();
    if (temp) rmSync(temp, { recursive: true, force: true });
  });

  const lastStatus = (id: string) => comms!.events.filter((e) => e.topic === `status/${id}`).at(-1)?.data;
  const caughtText = () =>
    comms!.events.filter((e) => e.topic === 'debug' && e.data['id'] === 'debug-caught').map((e) => String(e.data['msg'])).join('\n');

  it('stores and loads through the connection that carries the secret', () => {
    const shown = comms!.events.find((e) => e.topic === 'debug' && e.data['id'] === 'debug-ok');
    assert.match(String(shown?.data['msg']), /my favourite band is Nightwish/);
    assert.equal(lastStatus('store-ok')?.['fill'], 'green');
  });

  it('reports each failure in plain words, in the status and at Catch', () => {
    const expected: Array<[string, RegExp]> = [
      ['store-missing', /table \\"hygiene-missing-\w+\\" is missing: enable \\"create table\\" in the connection/],
      ['store-invalid', /MemoryInputError: sessionId: must be a non-empty string/],
      ['store-other-keys', /MemoryServiceError: DynamoDB refused the request on table \\"hygiene-other-keys-\w+\\": the table's keys are not the ones the memory nodes use/],
      ['store-bad-keys', /MemoryServiceError: the access key id or secret is wrong: check the connection's credentials/],
    ];
    for (const [id, message] of expected) {
      assert.match(caughtText(), message, id);
      assert.equal(lastStatus(id)?.['fill'], 'red', id);
    }
    assert.doesNotMatch(caughtText(), /\$response|x-amz-|Authorization|Signature=/);
  });

  it('shows the secret and the session token nowhere', async () => {
    const seen: Record<string, string> = {
      ...places(),
      'GET /flows': JSON.stringify(await deployedFlows(nodeRed!.url)),
      'GET /flows (v2)': JSON.stringify(await adminApi(nodeRed!.url, '/flows', { headers: { 'Node-RED-API-Version': 'v2' } })),
      'GET /credentials of each connection': JSON.stringify(
        await Promise.all(
          flow.filter((n) => n.type === 'dynamodb-memory-config').map((n) => adminApi(nodeRed!.url, `/credentials/dynamodb-memory-config/${n.id}`)),
        ),
      ),
    };
    assert.ok(seen['the trace-level log'].includes('[trace]'), 'the log is at trace level');
    // The access key id is a plain text credential, which the editor reads back: proof that the
    // search below looks at real credential data.
    assert.ok(seen['GET /credentials of each connection']!.includes(badKeyId), 'the credentials were read');
    assert.ok(seen['the editor websocket (statuses, debug and Catch messages)'].includes('"status/store-bad-keys"'), 'statuses were read');
    for (const [where, text] of Object.entries(seen)) {
      assert.ok(!text.includes(secretAccessKey), `the secret access key is in ${where}`);
      assert.ok(!text.includes(sessionToken), `the session token is in ${where}`);
    }
  });

  it('still shows them nowhere once Node-RED has stopped', async () => {
    await nodeRed!.stop();
    for (const [where, text] of Object.entries(places())) {
      assert.ok(!text.includes(secretAccessKey) && !text.includes(sessionToken), `a secret is in ${where}`);
    }
  });
});
