/**
 * The config dialog's Test connection and Create table endpoints, called the way the editor calls
 * them (POST with the dialog's values) on the runtime's admin app, against the test run's DynamoDB
 * Local.
 */
import assert from 'node:assert/strict';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import helper from 'node-red-node-test-helper';
import type { ConnectionAnswer } from '../../lib/node-red/config-admin-endpoints';
import { freePort } from '../../scripts/dynamodb-local';
import { startFaultProxy } from '../support/fault-proxy';
import { localConnection, localCredentials, memoryTable, uniqueName } from '../support/memory-table';
import { loadMemoryFlow, startNodeRed, stopNodeRed, unloadFlow } from '../support/node-flow';
import { dynamoDBLocal } from '../support/root-hooks';

/** The session token the deployed connection keeps in its credential store. */
const storedToken = 'storedSessionToken42';

/** What the dialog sends for a connection nobody has deployed. */
function typed(table: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    id: 'not-deployed',
    region: 'us-east-1',
    endpoint: dynamoDBLocal().endpoint,
    table,
    authType: 'keys',
    profile: '',
    ...localCredentials,
    sessionToken: '',
    requestTimeoutMs: '10000',
    maxAttempts: '3',
    ...extra,
  };
}

async function post(action: 'test-connection' | 'create-table', body: object): Promise<ConnectionAnswer> {
  const response = await helper.request().post(`/dynamodb-memory-config/${action}`).send(body);
  assert.equal(response.status, 200);
  return response.body as ConnectionAnswer;
}

const states = (answer: ConnectionAnswer) => Object.fromEntries(answer.checks.map((c) => [c.check, c.state]));

describe('config dialog: test connection and create table', function () {
  this.timeout(120_000);
  before(async () => {
    await startNodeRed();
    // A deployed connection (id "config") whose stored credentials include a session token.
    await loadMemoryFlow([], { credentials: { ...localCredentials, sessionToken: storedToken } });
  });
  after(async () => {
    await unloadFlow();
    await stopNodeRed();
  });

  it('reports an existing table of this pack as ready, from values not deployed yet', async () => {
    const table = await memoryTable();
    table.close();
    const answer = await post('test-connection', typed(table.tableName));
    assert.equal(answer.ok, true, answer.message);
    assert.deepEqual(states(answer), { status: 'ok', keys: 'ok', index: 'ok', ttl: 'ok' });
    assert.match(answer.message, /ready/);
  });

  it('says why when the table does not exist', async () => {
    const answer = await post('test-connection', typed(uniqueName('missing')));
    assert.equal(answer.ok, false);
    assert.deepEqual(answer.checks, []);
    // The placeholder aws-failure.ts passes DynamoDB's own words; the real one says "missing".
    assert.match(answer.message, /non-existent table|missing|does not exist/i);
  });

  it('creates the table with TTL on, finds it the second time, and then tests it ok', async () => {
    const tableName = uniqueName('dialog');
    const created = await post('create-table', typed(tableName));
    assert.equal(created.ok, true, created.message);
    assert.equal(created.table, 'created');
    assert.deepEqual(states(created), { status: 'ok', keys: 'ok', index: 'ok', ttl: 'ok' });
    const again = await post('create-table', typed(tableName));
    assert.equal(again.table, 'existed');
    const tested = await post('test-connection', typed(tableName));
    assert.equal(tested.ok, true, tested.message);
  });

  it('reports an endpoint nothing listens on as unreachable', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const answer = await post('test-connection', typed('chat-memory', { endpoint: closed, maxAttempts: '1' }));
    assert.equal(answer.ok, false);
    assert.match(answer.message, /ECONNREFUSED|reach/i);
  });

  it('names what does not match in a table of another layout', async () => {
    const tableName = uniqueName('other-layout');
    const connection = localConnection();
    try {
      await connection.client.send(
        new CreateTableCommand({
          TableName: tableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        }),
      );
    } finally {
      connection.client.destroy();
    }
    const answer = await post('test-connection', typed(tableName));
    assert.equal(answer.ok, false);
    assert.deepEqual(states(answer), { status: 'ok', keys: 'fail', index: 'fail', ttl: 'warn' });
    const keys = answer.checks.find((c) => c.check === 'keys')!;
    assert.match(keys.detail, /keys are partition key id \(S\); this pack needs partition key pk \(S\), sort key sk \(S\)/);
    assert.match(answer.message, /cannot use it/);
  });

  it("uses the deployed connection's stored secrets where the dialog shows the placeholder, and never echoes them", async () => {
    const table = await memoryTable();
    table.close();
    const proxy = await startFaultProxy(dynamoDBLocal().endpoint);
    try {
      const hidden = { endpoint: proxy.endpoint, secretAccessKey: '__PWRD__', sessionToken: '__PWRD__' };
      const answer = await post('test-connection', typed(table.tableName, { ...hidden, id: 'config' }));
      assert.equal(answer.ok, true, answer.message);
      assert.ok(proxy.headers.length > 0);
      assert.ok(proxy.headers.every((h) => h['x-amz-security-token'] === storedToken));
      assert.ok(!JSON.stringify(answer).includes(storedToken));

      // The placeholder of a connection that is not deployed has nothing behind it: no token is sent.
      proxy.headers.length = 0;
      await post('test-connection', typed(table.tableName, hidden));
      assert.ok(proxy.headers.length > 0);
      assert.ok(proxy.headers.every((h) => h['x-amz-security-token'] === undefined));
    } finally {
      await proxy.close();
    }
  });
});
