/**
 * The packed tarball on the Node-RED lines users run, each on every Node.js line the pack supports
 * (supportedNodeLines: today Node-RED 4.x and 5.x, the newest release of each, on Node 22 and 24).
 * Each Node-RED is installed from npm into a folder of its own, and each Node major from npm's `node`
 * package when this machine runs another one; the tarball goes into a user directory as users
 * install packs, and the install test's checks run there, with no warning from the AWS SDK about the
 * Node version. Not in `npm test` (the installs take a minute or more): `npm run test:compat`.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { minVersion, satisfies } from 'semver';
import { freePort } from '../../scripts/dynamodb-local';
import { startNodeRed, type NodeRed } from '../../scripts/node-red-process';
import { latestNodeRed, supportedNodeLines } from '../../scripts/node-red-releases';
import { assertEditorFilesServed, assertEveryTypeLoaded, assertStoresLoadsAndClears, installIntoUserDir } from '../support/installed-pack';
import { cleanEnv, npm, packTarball } from '../support/npm';

const root = resolve(__dirname, '..', '..', '..');
const engines = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } }).engines;
const major = (range: string) => minVersion(range)!.major;
const latestLine = major(latestNodeRed.version);
const targets = [latestLine - 1, latestLine].flatMap((nodeRed) => supportedNodeLines.map((node) => ({ nodeRed, node })));

interface Runtime {
  redScript: string;
  node: string;
  /** package.json of the Node-RED installed. */
  nodeRed: { version: string; engines: { node: string } };
}

/** The tarball's install into each user directory, once per run. */
const packInstalls = new Map<string, Promise<void>>();

/** What npm installs once per run: each Node-RED line, each Node major (by folder). */
const installs = new Map<string, Promise<string>>();

/** Installs the package into a folder of its own, once; npm's own cache makes a second run fast. */
function installOnce(temp: string, spec: string): Promise<string> {
  let folder = installs.get(spec);
  if (!folder) {
    const dir = join(temp, spec.replace(/[^\w.-]/g, '-'));
    mkdirSync(dir, { recursive: true });
    // npm 11 runs a dependency's install scripts only when allowed; `node` fetches its binary in one.
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ private: true, allowScripts: { node: true } }, null, 2));
    folder = npm(['install', '--no-audit', '--no-fund', spec], dir).then(() => dir);
    installs.set(spec, folder);
  }
  return folder;
}

/** The newest Node-RED of the line, and Node of the major unless this process runs it. */
async function installRuntime(temp: string, nodeRedLine: number, nodeMajor: number): Promise<Runtime> {
  const ownNode = Number(process.versions.node.split('.')[0]) === nodeMajor;
  const [nodeRedFolder, nodeFolder] = await Promise.all([
    installOnce(temp, `node-red@${nodeRedLine}`),
    ownNode ? undefined : installOnce(temp, `node@${nodeMajor}`),
  ]);
  const modules = join(nodeRedFolder, 'node_modules');
  return {
    redScript: join(modules, 'node-red', 'red.js'),
    node: nodeFolder === undefined ? process.execPath : join(nodeFolder, 'node_modules', '.bin', 'node'),
    nodeRed: JSON.parse(readFileSync(join(modules, 'node-red', 'package.json'), 'utf8')) as Runtime['nodeRed'],
  };
}

it('engines.node admits every supported Node line, and no older one', () => {
  for (const line of supportedNodeLines) assert.ok(satisfies(`${line}.0.0`, engines.node), `${engines.node} admits Node ${line}`);
  assert.ok(!satisfies(`${supportedNodeLines[0] - 1}.99.0`, engines.node), `${engines.node} refuses Node ${supportedNodeLines[0] - 1}`);
});

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
        // One user directory per Node-RED line, the tarball installed once: the pack is plain
        // JavaScript, the same files under each Node, so the second Node reuses the first's install.
        const userDir = join(temp, `user-${target.nodeRed}`);
        let t = Date.now();
        runtime = await installRuntime(temp, target.nodeRed, target.node);
        console.log(`      npm install node-red@${target.nodeRed} (${runtime.nodeRed.version}) and Node ${target.node}: ${Date.now() - t} ms`);
        t = Date.now();
        let packInstalled = packInstalls.get(userDir);
        if (!packInstalled) {
          mkdirSync(userDir, { recursive: true });
          packInstalled = installIntoUserDir(userDir, tarball);
          packInstalls.set(userDir, packInstalled);
        }
        await packInstalled;
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

      it("prints no AWS SDK warning about the Node version (the SDK's clients were made by the store)", () => {
        assert.doesNotMatch(nodeRed!.output(), /NodeVersionSupportWarning/);
      });
    });
  }
});
