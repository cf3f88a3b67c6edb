/**
 * `npm start`: this pack in a local Node-RED against a local DynamoDB, no AWS account needed.
 *
 * - DynamoDB Local keeps its data in .node-red-user/dynamodb/, so it survives restarts.
 * - Node-RED runs on the user directory .node-red-user/, whose node_modules links to this repo (the
 *   way the Node-RED docs test a local pack): a rebuild plus restart picks up changes.
 * - The first start deploys examples/basic-memory.json wired to DynamoDB Local; later starts keep
 *   whatever flow is deployed.
 * Ctrl-C (or SIGTERM) stops Node-RED, then DynamoDB Local.
 */
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { freePort, javaProblem, startDynamoDBLocal, type DynamoDBLocal } from './dynamodb-local';
import {
  deployFlows,
  deployedFlows,
  launchNodeRed,
  portInUse,
  writeSettingsIfAbsent,
  type FlowNode,
  type LaunchedNodeRed,
} from './node-red-process';

const root = resolve(__dirname, '..', '..');
const userDir = join(root, '.node-red-user');
const dbPath = join(userDir, 'dynamodb');
const exampleFile = join(root, 'examples', 'basic-memory.json');
const packName = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string }).name;

const say = (text: string) => console.log(`[start] ${text}`);

/** The port asked for (env variable, else the default) if it is free, else a free one. */
async function choosePort(envName: string, fallback: number, what: string): Promise<number> {
  const raw = process.env[envName];
  const wanted = raw ? Number(raw) : fallback;
  if (!Number.isInteger(wanted) || wanted <= 0 || wanted > 65535) throw new Error(`${envName}=${raw} is not a port number`);
  if (!(await portInUse(wanted))) return wanted;
  const port = await freePort();
  say(`port ${wanted} is busy, so ${what} uses port ${port} (set ${envName} to choose one)`);
  return port;
}

/** node_modules/<pack> in the user dir points at this repo, so Node-RED loads the repo's dist/. */
function linkPack(): void {
  const link = join(userDir, 'node_modules', ...packName.split('/'));
  mkdirSync(join(link, '..'), { recursive: true });
  let stat;
  try {
    stat = lstatSync(link);
  } catch {
    stat = undefined;
  }
  if (stat?.isSymbolicLink()) {
    if (resolve(join(link, '..'), readlinkSync(link)) === root) return;
    rmSync(link);
  } else if (stat) {
    say(`warning: ${relative(root, link)} is a real folder, not a link to this repo; Node-RED loads that copy`);
    return;
  }
  symlinkSync(root, link, 'junction');
}

/** The example flow, its DynamoDB connection pointed at DynamoDB Local with the local keys. */
function exampleFlow(endpoint: string): FlowNode[] {
  if (!existsSync(exampleFile)) throw new Error(`the example flow ${relative(root, exampleFile)} is missing`);
  const parsed = JSON.parse(readFileSync(exampleFile, 'utf8')) as FlowNode[] | { flows: FlowNode[] };
  const flows = Array.isArray(parsed) ? parsed : parsed.flows;
  const configs = flows.filter((n) => n.type === 'dynamodb-memory-config');
  if (configs.length === 0) say(`warning: ${relative(root, exampleFile)} has no dynamodb-memory-config node`);
  for (const config of configs) {
    Object.assign(config, {
      endpoint,
      authType: 'keys',
      createTable: true,
      // DynamoDB Local takes only alphanumeric key ids; the admin API stores these encrypted.
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  }
  // An export made without its tab still deploys: give orphaned nodes the tab they name.
  const ids = new Set(flows.map((n) => n.id));
  const missingTabs = new Set(flows.map((n) => n.z).filter((z): z is string => !!z && !ids.has(z)));
  for (const z of missingTabs) flows.unshift({ id: z, type: 'tab', label: 'Chat memory example', disabled: false, info: '' });
  return flows;
}

/** Deployed config nodes that point at a local DynamoDB on another port than the one running now. */
function staleEndpoints(flows: FlowNode[], dynamo: DynamoDBLocal): string[] {
  return flows
    .filter((n) => n.type === 'dynamodb-memory-config' && typeof n['endpoint'] === 'string')
    .map((n) => n['endpoint'] as string)
    .filter((endpoint) => {
      const local = /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\]):(\d+)/.exec(endpoint);
      return local !== null && Number(local[2]) !== dynamo.port;
    });
}

function banner(lines: string[]): void {
  const width = Math.max(...lines.map((l) => l.length)) + 4;
  const rule = '='.repeat(width);
  console.log(['', rule, ...lines.map((l) => `  ${l}`), rule, ''].join('\n'));
}

async function main(): Promise<void> {
  const problem = javaProblem();
  if (problem) {
    console.error(problem);
    process.exit(1);
  }
  const started = Date.now();
  mkdirSync(dbPath, { recursive: true });

  let dynamo: DynamoDBLocal | undefined;
  let nodeRed: LaunchedNodeRed | undefined;
  let stopping = false;
  const shutdown = async (reason: string, code: number) => {
    if (stopping) return;
    stopping = true;
    say(`${reason}: stopping Node-RED and DynamoDB Local…`);
    await nodeRed?.stop();
    await dynamo?.stop();
    process.exit(code);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => void shutdown(signal, 0));
  }
  // `npm start` runs this under `sh -c "npm run build && node …"`: a SIGTERM sent to npm reaches
  // that shell, not this process. When the parent goes away, stop instead of lingering.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) void shutdown('parent process exited', 0);
  }, 1000).unref();

  try {
    const dynamoPort = await choosePort('DYNAMODB_PORT', 8000, 'DynamoDB Local');
    say(`starting DynamoDB Local on port ${dynamoPort} (data in ${relative(root, dbPath)}/)`);
    dynamo = await startDynamoDBLocal({ dbPath, port: dynamoPort, cwd: dbPath });
    if (stopping) return;

    linkPack();
    if (writeSettingsIfAbsent(userDir)) say(`wrote ${relative(root, join(userDir, 'settings.js'))} with a new credentialSecret`);
    const uiPort = await choosePort('PORT', 1880, 'Node-RED');
    say(`starting Node-RED on port ${uiPort} (user directory ${relative(root, userDir)}/)`);
    nodeRed = launchNodeRed({ userDir, port: uiPort, stdio: 'inherit', startTimeoutMs: 120_000 });
    void nodeRed.exited.then((code) => {
      if (!stopping) void shutdown(`Node-RED exited (${code})`, code ?? 1);
    });
    await nodeRed.ready;
    if (stopping) return;

    const flows = await deployedFlows(nodeRed.url);
    let flowNote: string;
    if (flows.length === 0) {
      await deployFlows(nodeRed.url, exampleFlow(dynamo.endpoint));
      flowNote = `deployed ${relative(root, exampleFile)} (first start)`;
    } else {
      flowNote = `kept your deployed flow (${flows.length} nodes)`;
      for (const endpoint of staleEndpoints(flows, dynamo)) {
        say(`warning: a memory connection in your flow uses ${endpoint}, but DynamoDB Local runs on ${dynamo.endpoint}; ` +
          `free that port or set DYNAMODB_PORT, or edit the connection`);
      }
    }
    banner([
      `Node-RED editor:  ${nodeRed.url}/`,
      `DynamoDB Local:   ${dynamo.endpoint}  (data in ${relative(root, dbPath)}/)`,
      `Flow:             ${flowNote}`,
      `Ready in ${((Date.now() - started) / 1000).toFixed(1)} s. Press Ctrl-C to stop both.`,
    ]);
  } catch (error) {
    if (stopping) return;
    console.error(`[start] ${error instanceof Error ? error.message : String(error)}`);
    await shutdown('start failed', 1);
  }
}

void main();
