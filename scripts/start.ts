/**
 * `npm start`: this pack in a local Node-RED against a local DynamoDB, no AWS account needed.
 *
 * - DynamoDB Local keeps its data in .node-red-user/dynamodb/, so it survives restarts.
 * - Node-RED runs on the user directory .node-red-user/, whose node_modules links to this repo (the
 *   way the Node-RED docs test a local pack): a rebuild plus restart picks up changes.
 * - The first start deploys examples/basic-memory.json and examples/concert-chatbot.json (each on its
 *   own tab) wired to DynamoDB Local; later starts keep whatever flow is deployed.
 * - It prints the editor's URL and, when the concert chatbot is deployed, its chat page's.
 * - One start per folder (start-lock.ts): a second one says where the first runs and exits.
 * - PORT / DYNAMODB_PORT, when set, must be free: a busy one is an error naming who holds it (the
 *   defaults, when busy, give way to a free port, and it says so).
 * Ctrl-C, SIGINT or SIGTERM (to this process or to npm: scripts/start.cjs) stops Node-RED, then
 * DynamoDB Local, and says when they are down; a second Ctrl-C kills them at once.
 */
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { freePort, javaProblem, startDynamoDBLocal, type DynamoDBLocal } from './dynamodb-local';
import { describeHolder } from './port-holder';
import { supportedNodeLines } from './node-red-releases';
import { releaseLock, takeLock, updateLock } from './start-lock';
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
/** NODE_RED_USER_DIR moves it (the tests start npm start on a folder of their own). */
const userDir = process.env['NODE_RED_USER_DIR'] ? resolve(process.env['NODE_RED_USER_DIR']) : join(root, '.node-red-user');
const dbPath = join(userDir, 'dynamodb');
const exampleFiles = ['basic-memory.json', 'concert-chatbot.json'].map((file) => join(root, 'examples', file));
/** The concert chatbot's page (its `http in` node's URL). */
const chatPath = '/concert-chat';
const packName = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string }).name;

const say = (text: string) => console.log(`[start] ${text}`);

class StartError extends Error {}

/**
 * The port set in the environment variable, which must be free (whoever set it meant it), else the
 * default when it is free, else a free one.
 */
async function choosePort(envName: string, fallback: number, what: string): Promise<number> {
  const raw = process.env[envName];
  const wanted = raw ? Number(raw) : fallback;
  if (!Number.isInteger(wanted) || wanted <= 0 || wanted > 65535) throw new StartError(`${envName}=${raw} is not a port number`);
  if (!(await portInUse(wanted))) return wanted;
  if (raw) {
    throw new StartError(`${envName}=${raw} is busy: port ${wanted} is held by ${describeHolder(wanted)}. ` +
      `Stop that, or choose another ${envName} (unset, ${what} takes a free port).`);
  }
  const port = await freePort();
  say(`port ${wanted} is busy (held by ${describeHolder(wanted)}), so ${what} uses port ${port} (set ${envName} to choose one)`);
  return port;
}

/** Node lines past their end of life still run this, for now, but say so. */
function nodeVersionNote(): string | undefined {
  const major = Number(process.versions.node.split('.')[0]);
  if (major >= supportedNodeLines[0]) return undefined;
  return `warning: Node ${process.versions.node} is past its end of life and not supported; use Node ${supportedNodeLines.join(' or ')}. ` +
    `It may still run, and the AWS SDK warns about it.`;
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

/** An example flow, its DynamoDB connection pointed at DynamoDB Local with the local keys. */
function exampleFlow(exampleFile: string, endpoint: string): FlowNode[] {
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

/** Polls the URL until it answers 200 or the time is up (then the banner just comes late). */
async function waitForPage(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined);
    if (response?.status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function banner(lines: string[]): void {
  const width = Math.max(...lines.map((l) => l.length)) + 4;
  const rule = '='.repeat(width);
  console.log(['', rule, ...lines.map((l) => `  ${l}`), rule, ''].join('\n'));
}

async function main(): Promise<void> {
  const note = nodeVersionNote();
  if (note) say(note);
  const problem = javaProblem();
  if (problem) {
    console.error(problem);
    process.exit(1);
  }
  const started = Date.now();
  mkdirSync(dbPath, { recursive: true });
  const lock = takeLock(userDir);
  if (!lock.taken) {
    const { holder } = lock;
    console.error([
      `[start] npm start already runs in this folder (pid ${holder.pid}), on ${relative(root, userDir) || userDir}/:`,
      ...(holder.editor ? [`  Node-RED editor:  ${holder.editor}/`] : ['  (still starting)']),
      ...(holder.chat ? [`  Concert chatbot:  ${holder.chat}`] : []),
      ...(holder.dynamodb ? [`  DynamoDB Local:   ${holder.dynamodb}`] : []),
      `Use that one, or stop it first (Ctrl-C in its terminal, or kill -INT ${holder.pid}).`,
    ].join('\n'));
    process.exit(1);
  }

  let dynamo: DynamoDBLocal | undefined;
  let nodeRed: LaunchedNodeRed | undefined;
  let stopping = false;
  const shutdown = async (reason: string, code: number) => {
    if (stopping) return;
    stopping = true;
    say(`${reason}: stopping Node-RED and DynamoDB Local…`);
    await nodeRed?.stop();
    await dynamo?.stop();
    releaseLock(userDir);
    say(code === 0 ? 'stopped: Node-RED and DynamoDB Local are down.' : `stopped (exit code ${code}): Node-RED and DynamoDB Local are down.`);
    process.exit(code);
  };
  let firstSignalAt = 0;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      // One Ctrl-C in a terminal arrives twice: the terminal signals the whole process group, and npm
      // forwards what it got. Only a second one from the person, later, means "no more waiting".
      if (stopping && Date.now() - firstSignalAt < 1000) return;
      firstSignalAt ||= Date.now();
      if (stopping) {
        nodeRed?.process.kill('SIGKILL');
        dynamo?.process.kill('SIGKILL');
        releaseLock(userDir);
        say(`${signal} again: killed Node-RED and DynamoDB Local.`);
        process.exit(130);
      }
      void shutdown(signal, 0);
    });
  }
  // Started by something that goes away without a signal to us (a shell killed under us): stop too.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) void shutdown('parent process exited', 0);
  }, 1000).unref();

  try {
    // Both ports before anything starts: a busy one that was asked for ends the start at once.
    const dynamoPort = await choosePort('DYNAMODB_PORT', 8000, 'DynamoDB Local');
    const uiPort = await choosePort('PORT', 1880, 'Node-RED');
    say(`starting DynamoDB Local on port ${dynamoPort} (data in ${relative(root, dbPath)}/)`);
    dynamo = await startDynamoDBLocal({ dbPath, port: dynamoPort, cwd: dbPath });
    updateLock(userDir, { dynamodb: dynamo.endpoint, ...(dynamo.process.pid ? { dynamodbPid: dynamo.process.pid } : {}) });
    if (stopping) return;

    linkPack();
    if (writeSettingsIfAbsent(userDir)) say(`wrote ${relative(root, join(userDir, 'settings.js'))} with a new credentialSecret`);
    say(`starting Node-RED on port ${uiPort} (user directory ${relative(root, userDir)}/)`);
    nodeRed = launchNodeRed({ userDir, port: uiPort, stdio: 'inherit', startTimeoutMs: 120_000 });
    if (nodeRed.process.pid) updateLock(userDir, { nodeRedPid: nodeRed.process.pid });
    void nodeRed.exited.then((code) => {
      if (!stopping) void shutdown(`Node-RED exited (${code})`, code ?? 1);
    });
    await nodeRed.ready;
    if (stopping) return;
    updateLock(userDir, { editor: nodeRed.url });

    const flows = await deployedFlows(nodeRed.url);
    let flowNote: string;
    let deployed = flows;
    if (flows.length === 0) {
      deployed = exampleFiles.flatMap((file) => exampleFlow(file, dynamo!.endpoint));
      await deployFlows(nodeRed.url, deployed);
      flowNote = `deployed ${exampleFiles.map((file) => relative(root, file)).join(' and ')} (first start)`;
    } else {
      flowNote = `kept your deployed flow (${flows.length} nodes)`;
      for (const endpoint of staleEndpoints(flows, dynamo)) {
        say(`warning: a memory connection in your flow uses ${endpoint}, but DynamoDB Local runs on ${dynamo.endpoint}; ` +
          `free that port or set DYNAMODB_PORT, or edit the connection`);
      }
    }
    const chat = deployed.some((n) => n.type === 'http in' && n['url'] === chatPath && !n['d']);
    // A deploy answers before the flows have started: wait (briefly) until the page answers.
    if (chat) await waitForPage(`${nodeRed.url}${chatPath}`, 15_000);
    if (stopping) return;
    if (chat) updateLock(userDir, { chat: `${nodeRed.url}${chatPath}` });
    banner([
      `Node-RED editor:  ${nodeRed.url}/`,
      ...(chat ? [`Concert chatbot:  ${nodeRed.url}${chatPath}`] : []),
      `DynamoDB Local:   ${dynamo.endpoint}  (data in ${relative(root, dbPath)}/)`,
      `Flow:             ${flowNote}`,
      `Ready in ${((Date.now() - started) / 1000).toFixed(1)} s. Press Ctrl-C to stop both.`,
    ]);
  } catch (error) {
    if (stopping) return;
    console.error(`[start] ${error instanceof Error ? error.message : String(error)}`);
    await shutdown(error instanceof StartError ? 'nothing to run' : 'start failed', 1);
  }
}

void main();
