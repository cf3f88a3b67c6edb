/**
 * The packed tarball on the Node-RED lines users run: the newest release of the previous line on the
 * oldest Node the pack supports, and the newest release of the latest line on that line's minimum
 * Node major (today Node-RED 4.x on Node 20 and 5.x on Node 22). Each Node-RED is installed from npm
 * into a folder of its own, with Node from npm's `node` package when this machine runs another
 * major; the tarball goes into a user directory as users install packs, and the install test's
 * checks run there. Not in `npm test` (the installs take a minute or more): `npm run test:compat`.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { minVersion } from 'semver';
import { freePort } from '../../scripts/dynamodb-local';
import { startNodeRed, type NodeRed } from '../../scripts/node-red-process';
import { latestNodeRed } from '../../scripts/node-red-releases';
import { assertEditorFilesServed, assertEveryTypeLoaded, assertStoresLoadsAndClears, installIntoUserDir } from '../support/installed-pack';
import { cleanEnv, npm, packTarball } from '../support/npm';

const root = resolve(__dirname, '..', '..', '..');
const engines = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } }).engines;
const major = (range: string) => minVersion(range)!.major;
const latestLine = major(latestNodeRed.version);
const targets = [
  { nodeRed: latestLine - 1, node: major(engines.node) },
  { nodeRed: latestLine, node: major(latestNodeRed.node) },
];

interface Runtime {
  redScript: string;
  node: string;
  /** package.json of the Node-RED installed. */
  nodeRed: { version: string; engines: { node: string } };
}

/**
 * Installs the newest Node-RED of the line, and Node of the major unless this process runs it, into
 * the folder. npm's own cache makes a second run fast.
 */
async function installRuntime(folder: string, nodeRedLine: number, nodeMajor: number): Promise<Runtime> {
  const ownNode = Number(process.versions.node.split('.')[0]) === nodeMajor;
  // npm 11 runs a dependency's install scripts only when allowed; `node` fetches its binary in one.
  writeFileSync(join(folder, 'package.json'), JSON.stringify({ private: true, allowScripts: { node: true } }, null, 2));
  await npm(['install', '--no-audit', '--no-fund', `node-red@${nodeRedLine}`, ...(ownNode ? [] : [`node@${nodeMajor}`])], folder);
  const modules = join(folder, 'node_modules');
  return {
    redScript: join(modules, 'node-red', 'red.js'),
    node: ownNode ? process.execPath : join(modules, '.bin', 'node'),
    nodeRed: JSON.parse(readFileSync(join(modules, 'node-red', 'package.json'), 'utf8')) as Runtime['nodeRed'],
  };
}

describe('the tarball on each supported Node-RED line', function () {
  let temp: string;
  let tarball: string;

  before(async function () {
    this.timeout(300_000);
    temp = mkdtempSync(join(tmpdir(), 'flowmemory-compat-'));
    mkdirSync(join(temp, 'pack'));
    ({ tarball } = await packTarball(join(temp, 'pack')));
  });

  after(() => {
    if (temp) rmSync(temp, { recursive: true, force: true });
  });

  for (const target of targets) {
    describe(`Node-RED ${target.nodeRed}.x on Node ${target.node}`, function () {
      let runtime: Runtime;
      let nodeRed: NodeRed | undefined;

      before(async function () {
        this.timeout(600_000);
        const folder = join(temp, `node-red-${target.nodeRed}`);
        const userDir = join(folder, 'user');
        mkdirSync(userDir, { recursive: true });
        let t = Date.now();
        runtime = await installRuntime(folder, target.nodeRed, target.node);
        console.log(`      npm install node-red@${target.nodeRed} (${runtime.nodeRed.version}): ${Date.now() - t} ms`);
        t = Date.now();
        await installIntoUserDir(userDir, tarball);
        console.log(`      npm install <tarball>: ${Date.now() - t} ms`);
        t = Date.now();
        nodeRed = await startNodeRed({ userDir, port: await freePort(), env: cleanEnv(), startTimeoutMs: 180_000, runtime });
        console.log(`      Node-RED start until the admin API answers: ${Date.now() - t} ms`);
      });

      after(async function () {
        this.timeout(60_000);
        await nodeRed?.stop();
      });

      it('runs that Node-RED line on that Node major', () => {
        assert.equal(major(runtime.nodeRed.version), target.nodeRed, runtime.nodeRed.version);
        const nodeVersion = execFileSync(runtime.node, ['--version'], { encoding: 'utf8' }).trim();
        assert.equal(major(nodeVersion), target.node, nodeVersion);
        if (target.nodeRed === latestLine) {
          // The scorecard's offline P07 check relies on this pinned value.
          assert.equal(runtime.nodeRed.engines.node, latestNodeRed.node, 'scripts/node-red-releases.ts is up to date');
        }
      });

      it('loads every node type, enabled and without errors', () => assertEveryTypeLoaded(nodeRed!));

      it("serves each node file's English message catalog, editor template and help text", () => assertEditorFilesServed(nodeRed!));

      it('stores, loads and clears messages on DynamoDB Local through a deployed flow', async function () {
        this.timeout(120_000);
        await assertStoresLoadsAndClears(nodeRed!);
      });
    });
  }
});
