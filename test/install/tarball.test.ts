/**
 * The pack as users get it: `npm pack`, `npm install <tarball>` into a plain Node-RED user
 * directory, the repo's Node-RED started on it, and everything checked over HTTP only (admin API and
 * an `http in` flow), storing and loading messages on the test run's DynamoDB Local.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../scripts/dynamodb-local';
import { adminApi, deployFlows, startNodeRed, writeSettingsIfAbsent, type NodeRed } from '../../scripts/node-red-process';
import { uniqueName } from '../support/memory-table';
import { dynamoDBLocal } from '../support/root-hooks';

const run = promisify(execFile);
const root = resolve(__dirname, '..', '..', '..');
const packName = '@flowmemory/node-red-dynamodb';
/** Every node type the pack declares: the install must load each one. */
const types = Object.keys(
  (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { 'node-red': { nodes: Record<string, string> } })['node-red'].nodes,
);

/** The environment without npm's lifecycle variables (npm_config_prefix and co. would redirect the inner npm). */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
}

async function npm(args: string[], cwd: string): Promise<string> {
  const { stdout } = await run('npm', args, {
    cwd,
    env: cleanEnv(),
    maxBuffer: 64 * 1024 * 1024,
    shell: process.platform === 'win32',
  });
  return stdout;
}

interface NodeSet {
  id: string;
  name: string;
  module: string;
  types: string[];
  enabled: boolean;
  err?: unknown;
}

describe('installed from the npm tarball', function () {
  let temp: string;
  let userDir: string;
  let nodeRed: NodeRed | undefined;
  let packedFiles: string[];

  before(async function () {
    this.timeout(300_000);
    temp = mkdtempSync(join(tmpdir(), 'flowmemory-install-'));
    const packDir = join(temp, 'pack');
    userDir = join(temp, 'user');
    mkdirSync(packDir);
    mkdirSync(userDir);

    // `pretest` has built dist/ already; prepack would rebuild the dist these tests run from.
    let t = Date.now();
    const packed = JSON.parse(await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', packDir], root)) as {
      filename: string;
      files: { path: string }[];
    }[];
    const tarball = join(packDir, packed[0]!.filename);
    packedFiles = packed[0]!.files.map((f) => f.path);
    console.log(`      npm pack: ${Date.now() - t} ms (${packedFiles.length} files)`);

    // A user directory the way users have one: a package.json, packs installed with npm.
    writeFileSync(join(userDir, 'package.json'), JSON.stringify({ name: 'node-red-project', version: '0.0.1', private: true }, null, 2));
    writeSettingsIfAbsent(userDir);
    t = Date.now();
    await npm(['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], userDir);
    console.log(`      npm install <tarball>: ${Date.now() - t} ms`);

    t = Date.now();
    nodeRed = await startNodeRed({ userDir, port: await freePort(), env: cleanEnv(), startTimeoutMs: 120_000 });
    console.log(`      Node-RED start until the admin API answers: ${Date.now() - t} ms`);
  });

  after(async function () {
    this.timeout(60_000);
    await nodeRed?.stop();
    if (temp) rmSync(temp, { recursive: true, force: true });
  });

  it('ships the compiled nodes with their editor files and no test or script code', () => {
    for (const file of packedFiles) {
      assert.match(file, /^(package\.json|README\.md|LICENSE|dist\/(lib|nodes|credentials)\/|examples\/|docs\/)/, file);
    }
    for (const type of types) {
      const folder = type === 'dynamodb-memory-config' ? 'credentials' : 'nodes';
      assert.ok(packedFiles.includes(`dist/${folder}/${type}.js`), `${type}.js is packed`);
      assert.ok(packedFiles.includes(`dist/${folder}/${type}.html`), `${type}.html is packed`);
    }
  });

  it('is installed into the user directory, not linked to the repo', () => {
    const installed = join(userDir, 'node_modules', ...packName.split('/'), 'package.json');
    assert.ok(existsSync(installed));
    assert.equal((JSON.parse(readFileSync(installed, 'utf8')) as { name: string }).name, packName);
  });

  it('loads every node type, enabled and without errors', async () => {
    // The admin API strips `loaded` from what it answers; a node file that fails to load shows as
    // `err` on its set and as a warning in the log. (The flow below proves all four types run.)
    const sets = (await adminApi<NodeSet[]>(nodeRed!.url, '/nodes')).filter((s) => s.module === packName);
    assert.deepEqual(sets.flatMap((s) => s.types).sort(), [...types].sort(), JSON.stringify(sets, null, 2));
    for (const listed of sets) {
      assert.deepEqual(listed.types, [listed.name], `node file ${listed.name} registers the type of its name`);
      const set = await adminApi<NodeSet>(nodeRed!.url, `/nodes/${listed.id}`);
      assert.equal(set.err, undefined, `${set.id}: ${String(set.err)}`);
      assert.equal(set.enabled, true, `${set.id} is enabled`);
    }
    const complaints = nodeRed!.output().split('\n').filter((line) => /\[(warn|error)\]/.test(line) && line.includes(packName));
    assert.deepEqual(complaints, [], nodeRed!.output());
  });

  it('serves an English message catalog for each node file, keyed by its type', async () => {
    for (const type of types) {
      const catalog = await adminApi<Record<string, unknown>>(nodeRed!.url, `/locales/${packName}/${type}?lng=en-US`);
      assert.equal(typeof catalog, 'object', `${type}: catalog is JSON`);
      assert.deepEqual(Object.keys(catalog), [type], `${type}: top-level key`);
      const messages = catalog[type];
      assert.ok(messages && typeof messages === 'object' && Object.keys(messages).length > 0, `${type}: catalog is not empty`);
    }
  });

  it("serves each type's editor template and help text", async () => {
    const html = await adminApi<string>(nodeRed!.url, '/nodes', { accept: 'text/html' });
    assert.equal(typeof html, 'string');
    for (const type of types) {
      assert.match(html, new RegExp(`data-template-name=["']${type}["']`), `${type}: editor template`);
      assert.match(html, new RegExp(`data-help-name=["']${type}["']`), `${type}: help text`);
    }
  });

  it('stores, loads and clears messages on DynamoDB Local through a deployed flow', async function () {
    this.timeout(120_000);
    const z = 'install-tab';
    const session = { sessionId: 'req.query.session', sessionIdType: 'msg', userId: '', userIdType: 'str' };
    await deployFlows(nodeRed!.url, [
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
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
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

    const credentials = readFileSync(join(userDir, 'flows_cred.json'), 'utf8');
    assert.doesNotMatch(credentials, /secretAccessKey/, 'credentials are stored encrypted');

    const sessionId = uniqueName('s');
    const post = async (path: string, request: unknown) => {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const response = await fetch(`${nodeRed!.url}${path}?session=${sessionId}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(request),
          signal: AbortSignal.timeout(30_000),
        });
        const body = await response.text();
        // Right after a deploy the route may not be registered yet.
        if (response.status === 404 && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 200));
          continue;
        }
        assert.equal(response.status, 200, body);
        return JSON.parse(body) as unknown;
      }
    };
    const say = (content: string) => post('/memory-check', { role: 'user', content });
    assert.deepEqual(await say('hello from the tarball'), [{ role: 'user', content: 'hello from the tarball' }]);
    assert.deepEqual(await say('and once more'), [
      { role: 'user', content: 'hello from the tarball' },
      { role: 'user', content: 'and once more' },
    ]);
    assert.equal(await post('/memory-clear', {}), 2, 'clear answers with the number of messages deleted');
    assert.deepEqual(await say('after the clear'), [{ role: 'user', content: 'after the clear' }]);
  });
});
