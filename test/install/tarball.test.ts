/**
 * The pack as users get it: `npm pack`, `npm install <tarball>` into a plain Node-RED user
 * directory, the repo's Node-RED started on it, and everything checked over HTTP only (admin API and
 * an `http in` flow), storing and loading messages on the test run's DynamoDB Local.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../scripts/dynamodb-local';
import { startNodeRed, type NodeRed } from '../../scripts/node-red-process';
import { assertEditorFilesServed, assertEveryTypeLoaded, assertStoresLoadsAndClears, installIntoUserDir, packName, packTypes as types } from '../support/installed-pack';
import { cleanEnv, packTarball } from '../support/npm';

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

    let t = Date.now();
    const { tarball, files } = await packTarball(packDir);
    packedFiles = files;
    console.log(`      npm pack: ${Date.now() - t} ms (${packedFiles.length} files)`);

    t = Date.now();
    await installIntoUserDir(userDir, tarball);
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

  it('loads every node type, enabled and without errors', () => assertEveryTypeLoaded(nodeRed!));

  it("serves each node file's English message catalog, editor template and help text", () => assertEditorFilesServed(nodeRed!));

  it('stores, loads and clears messages on DynamoDB Local through a deployed flow', async function () {
    this.timeout(120_000);
    await assertStoresLoadsAndClears(nodeRed!);
    const credentials = readFileSync(join(userDir, 'flows_cred.json'), 'utf8');
    assert.doesNotMatch(credentials, /secretAccessKey/, 'credentials are stored encrypted');
  });
});
