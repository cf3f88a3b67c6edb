/**
 * The config dialog's endpoints need the node type's write permission: a real Node-RED with an
 * editor login (adminAuth) refuses them without a token and to a read-only user, and answers a user
 * with full rights. Node-RED answers a missing permission with 401, as a missing login (not 403).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { hashSync } from 'bcryptjs'; // Node-RED's own dependency, the hash its login checks
import { freePort } from '../../scripts/dynamodb-local';
import { adminApi, startNodeRed, writeSettingsIfAbsent, type NodeRed } from '../../scripts/node-red-process';
import { localCredentials, memoryTable, uniqueName } from '../support/memory-table';
import { dynamoDBLocal } from '../support/root-hooks';

const root = resolve(__dirname, '..', '..', '..');
const password = 'correct horse';
const endpoints = ['test-connection', 'create-table'];

describe('config dialog endpoints under adminAuth', function () {
  let temp: string;
  let nodeRed: NodeRed | undefined;
  let tableName: string;

  before(async function () {
    this.timeout(180_000);
    const table = await memoryTable();
    table.close();
    tableName = table.tableName;
    temp = mkdtempSync(join(tmpdir(), 'flowmemory-admin-auth-'));
    const userDir = join(temp, 'user');
    mkdirSync(join(userDir, 'node_modules', '@flowmemory'), { recursive: true });
    symlinkSync(root, join(userDir, 'node_modules', '@flowmemory', 'node-red-dynamodb'), 'junction');
    const hash = hashSync(password, 4);
    writeSettingsIfAbsent(userDir, {
      adminAuth: {
        type: 'credentials',
        users: [
          { username: 'viewer', password: hash, permissions: 'read' },
          { username: 'admin', password: hash, permissions: '*' },
        ],
      },
    });
    nodeRed = await startNodeRed({ userDir, port: await freePort(), startTimeoutMs: 120_000 });
  });

  after(async function () {
    this.timeout(60_000);
    await nodeRed?.stop();
    if (temp) rmSync(temp, { recursive: true, force: true });
  });

  async function token(username: string, scope: string): Promise<string> {
    const answer = await adminApi<{ access_token: string }>(nodeRed!.url, '/auth/token', {
      method: 'POST',
      body: { client_id: 'node-red-admin', grant_type: 'password', scope, username, password },
    });
    return answer.access_token;
  }

  function post(endpoint: string, body: object, accessToken?: string): Promise<Response> {
    return fetch(`${nodeRed!.url}/dynamodb-memory-config/${endpoint}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(accessToken ? { Authorization: `Bearer ${accessToken}` } : {}) },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
  }

  const typed = (table: string) => ({
    id: 'not-deployed', region: 'us-east-1', endpoint: dynamoDBLocal().endpoint, table, authType: 'keys', ...localCredentials,
  });

  it('refuses both without a token and to a read-only user, and answers a user with full rights', async function () {
    this.timeout(120_000);
    const viewer = await token('viewer', 'read');
    const admin = await token('admin', '*');
    // The viewer's token is good for what reading allows.
    await adminApi(nodeRed!.url, '/settings', { headers: { Authorization: `Bearer ${viewer}` } });
    for (const endpoint of endpoints) {
      assert.equal((await post(endpoint, typed(tableName))).status, 401, endpoint);
      assert.equal((await post(endpoint, typed(tableName), viewer)).status, 401, endpoint);
    }
    const tested = await post('test-connection', typed(tableName), admin);
    assert.equal(tested.status, 200);
    assert.equal(((await tested.json()) as { ok: boolean }).ok, true);
    const created = await post('create-table', typed(uniqueName('auth')), admin);
    assert.equal(created.status, 200);
    assert.deepEqual(
      (({ ok, table }) => ({ ok, table }))((await created.json()) as { ok: boolean; table: string }),
      { ok: true, table: 'created' },
    );
  });
});
