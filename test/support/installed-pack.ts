/**
 * Checks of the pack installed from its tarball into a real Node-RED process, over HTTP only: every
 * node type loads, the editor gets each node's files, and a deployed flow stores, loads and clears
 * messages on the test run's DynamoDB Local. Shared by the install test and the Node-RED versions test.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { adminApi, deployFlows, fetchDeployedRoute, writeSettingsIfAbsent, type NodeRed } from '../../scripts/node-red-process';
import { localCredentials, uniqueName } from './memory-table';
import { npm } from './npm';
import { dynamoDBLocal } from './root-hooks';

const root = resolve(__dirname, '..', '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; 'node-red': { nodes: Record<string, string> } };

export const packName = pkg.name;
/** Every node type the pack declares: an install must load each one. */
export const packTypes = Object.keys(pkg['node-red'].nodes);

/** Makes a user directory the way users have one (a package.json, settings.js) and installs the tarball there with npm. */
export async function installIntoUserDir(userDir: string, tarball: string): Promise<void> {
  writeFileSync(join(userDir, 'package.json'), JSON.stringify({ name: 'node-red-project', version: '0.0.1', private: true }, null, 2));
  writeSettingsIfAbsent(userDir);
  await npm(['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], userDir);
}

interface NodeSet {
  id: string;
  name: string;
  module: string;
  types: string[];
  enabled: boolean;
  err?: unknown;
}

/** Every type of the pack is listed by GET /nodes, enabled, without error, and the log has no complaint about the pack. */
export async function assertEveryTypeLoaded(nodeRed: NodeRed): Promise<void> {
  // The admin API strips `loaded` from what it answers; a node file that fails to load shows as
  // `err` on its set and as a warning in the log.
  const sets = (await adminApi<NodeSet[]>(nodeRed.url, '/nodes')).filter((s) => s.module === packName);
  assert.deepEqual(sets.flatMap((s) => s.types).sort(), [...packTypes].sort(), JSON.stringify(sets, null, 2));
  for (const listed of sets) {
    assert.deepEqual(listed.types, [listed.name], `node file ${listed.name} registers the type of its name`);
    const set = await adminApi<NodeSet>(nodeRed.url, `/nodes/${listed.id}`);
    assert.equal(set.err, undefined, `${set.id}: ${String(set.err)}`);
    assert.equal(set.enabled, true, `${set.id} is enabled`);
  }
  const complaints = nodeRed.output().split('\n').filter((line) => /\[(warn|error)\]/.test(line) && line.includes(packName));
  assert.deepEqual(complaints, [], nodeRed.output());
}

/** The editor gets, for each node file, its English message catalog (keyed by its type), its template and its help text. */
export async function assertEditorFilesServed(nodeRed: NodeRed): Promise<void> {
  for (const type of packTypes) {
    const catalog = await adminApi<Record<string, unknown>>(nodeRed.url, `/locales/${packName}/${type}?lng=en-US`);
    assert.equal(typeof catalog, 'object', `${type}: catalog is JSON`);
    assert.deepEqual(Object.keys(catalog), [type], `${type}: top-level key`);
    const messages = catalog[type];
    assert.ok(messages && typeof messages === 'object' && Object.keys(messages).length > 0, `${type}: catalog is not empty`);
  }
  const html = await adminApi<string>(nodeRed.url, '/nodes', { accept: 'text/html' });
  assert.equal(typeof html, 'string');
  for (const type of packTypes) {
    assert.match(html, new RegExp(`data-template-name=["']${type}["']`), `${type}: editor template`);
    assert.match(html, new RegExp(`data-help-name=["']${type}["']`), `${type}: help text`);
  }
}

/**
 * Deploys POST /memory-check (store the body, answer with the session's history) and POST
 * /memory-clear (answer with the number deleted) on a fresh table of DynamoDB Local, then drives them.
 */
export async function assertStoresLoadsAndClears(nodeRed: NodeRed): Promise<void> {
  const z = 'install-tab';
  const session = { sessionId: 'req.query.session', sessionIdType: 'msg', userId: '', userIdType: 'str' };
  await deployFlows(nodeRed.url, [
    { id: z, type: 'tab', label: 'install check', disabled: false, info: '' },
    {
      id: 'install-memory',
      type: 'dynamodb-memory-config',
      name: 'DynamoDB Local',
      region: 'us-east-1',
      endpoint: dynamoDBLocal().endpoint,
      table: uniqueName('install'),
      authType: 'keys',
      profile: '',
      createTable: true,
      requestTimeoutMs: '',
      maxAttempts: '',
      ttlDays: '',
      credentials: localCredentials,
    },
    { id: 'install-in', type: 'http in', z, url: '/memory-check', method: 'post', upload: false, swaggerDoc: '', wires: [['install-store']] },
    { id: 'install-store', type: 'dynamodb-memory-store', z, memory: 'install-memory', ...session, role: 'user', ttlDays: '', wires: [['install-history']] },
    {
      id: 'install-history',
      type: 'dynamodb-memory-history',
      z,
      memory: 'install-memory',
      ...session,
      count: '10',
      tokenBudget: '',
      format: 'messages',
      property: 'payload',
      wires: [['install-out']],
    },
    { id: 'install-out', type: 'http response', z, statusCode: '', headers: {}, wires: [] },
    { id: 'install-clear-in', type: 'http in', z, url: '/memory-clear', method: 'post', upload: false, swaggerDoc: '', wires: [['install-clear']] },
    { id: 'install-clear', type: 'dynamodb-memory-clear', z, memory: 'install-memory', ...session, wires: [['install-out']] },
    // A failure answers at once with its reason, instead of the request timing out.
    { id: 'install-catch', type: 'catch', z, scope: null, uncaught: false, wires: [['install-fail']] },
    {
      id: 'install-fail',
      type: 'function',
      z,
      func: 'msg.statusCode = 500;\nmsg.payload = { error: msg.error && msg.error.message };\nreturn msg;',
      outputs: 1,
      wires: [['install-out']],
    },
  ]);

  const sessionId = uniqueName('s');
  const post = async (path: string, request: unknown) => {
    const response = await fetchDeployedRoute(`${nodeRed.url}${path}?session=${sessionId}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(request),
      signal: AbortSignal.timeout(30_000),
    });
    const body = await response.text();
    assert.equal(response.status, 200, `${body}\n${nodeRed.output()}`);
    return JSON.parse(body) as unknown;
  };
  const say = (content: string) => post('/memory-check', { role: 'user', content });
  assert.deepEqual(await say('hello from the tarball'), [{ role: 'user', content: 'hello from the tarball' }]);
  assert.deepEqual(await say('and once more'), [
    { role: 'user', content: 'hello from the tarball' },
    { role: 'user', content: 'and once more' },
  ]);
  assert.equal(await post('/memory-clear', {}), 2, 'clear answers with the number of messages deleted');
  assert.deepEqual(await say('after the clear'), [{ role: 'user', content: 'after the clear' }]);
}
