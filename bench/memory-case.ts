/**
 * Case 5 on a plain Node-RED: two Node-RED child processes (red.js, no test helper), each on a user
 * directory of its own whose node_modules links the pack to this repo (as `npm start` does).
 * - ours:    http in POST /chat → store → history (into msg.payload) → http response
 * - control: http in POST /chat → function → http response (the same HTTP path, none of our nodes)
 * Both are driven over HTTP with a few requests in flight, in interleaved chunks, and their resident
 * memory (VmRSS) is read after the first 1,000 messages and after N: once settled (a pause, then the
 * minimum of a few samples), and once right after a full GC forced through the child's inspector.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../scripts/dynamodb-local';
import { deployFlows, fetchDeployedRoute, startNodeRed, writeSettingsIfAbsent, type FlowNode, type NodeRed } from '../scripts/node-red-process';
import WebSocket from 'ws';
import { credentials, sampleText, type Engine } from './engine';

const root = resolve(__dirname, '..', '..');
const packName = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string }).name;
const concurrency = 8;
const sessions = 200;

type Variant = 'ours' | 'control';

interface Instance {
  variant: Variant;
  nodeRed: NodeRed;
  userDir: string;
}

function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
}

function flow(variant: Variant, engine: Engine): FlowNode[] {
  const z = 'bench-tab';
  const tail: FlowNode[] = [
    { id: 'bench-out', type: 'http response', z, statusCode: '', headers: {}, wires: [] },
    // A failure answers at once with its reason instead of leaving the request hanging.
    { id: 'bench-catch', type: 'catch', z, scope: null, uncaught: false, wires: [['bench-fail']] },
    { id: 'bench-fail', type: 'http response', z, statusCode: '500', headers: {}, wires: [] },
  ];
  if (variant === 'control') {
    return [
      { id: z, type: 'tab', label: 'bench control', disabled: false, info: '' },
      { id: 'bench-in', type: 'http in', z, url: '/chat', method: 'post', upload: false, swaggerDoc: '', wires: [['bench-fn']] },
      { id: 'bench-fn', type: 'function', z, func: 'msg.payload = [{ role: "user", content: msg.payload }];\nreturn msg;', outputs: 1, wires: [['bench-out']] },
      ...tail,
    ];
  }
  const session = { sessionId: 'req.query.session', sessionIdType: 'msg', userId: '', userIdType: 'str' };
  return [
    { id: z, type: 'tab', label: 'bench memory', disabled: false, info: '' },
    {
      id: 'bench-memory', type: 'dynamodb-memory-config', name: 'bench', region: 'us-east-1', endpoint: engine.local.endpoint,
      table: engine.tableName, authType: 'keys', profile: '', createTable: false, requestTimeoutMs: '30000', maxAttempts: '3', ttlDays: '',
      credentials,
    },
    { id: 'bench-in', type: 'http in', z, url: '/chat', method: 'post', upload: false, swaggerDoc: '', wires: [['bench-store']] },
    { id: 'bench-store', type: 'dynamodb-memory-store', z, memory: 'bench-memory', ...session, role: 'user', ttlDays: '', wires: [['bench-history']] },
    {
      id: 'bench-history', type: 'dynamodb-memory-history', z, memory: 'bench-memory', ...session,
      count: '20', tokenBudget: '', format: 'messages', property: 'payload', wires: [['bench-out']],
    },
    ...tail,
  ];
}

async function start(variant: Variant, engine: Engine): Promise<Instance> {
  const userDir = mkdtempSync(join(tmpdir(), `bench-nr-${variant}-`));
  writeFileSync(join(userDir, 'package.json'), JSON.stringify({ name: 'node-red-project', version: '0.0.1', private: true }));
  // Both user dirs have the pack installed (linked), so the control loads the same modules and
  // differs only in the flow.
  const link = join(userDir, 'node_modules', ...packName.split('/'));
  mkdirSync(join(link, '..'), { recursive: true });
  symlinkSync(root, link, 'junction');
  writeSettingsIfAbsent(userDir);
  const nodeRed = await startNodeRed({
    userDir, port: await freePort(), env: cleanEnv(), startTimeoutMs: 120_000, nodeArgs: ['--inspect=127.0.0.1:0'],
  });
  await deployFlows(nodeRed.url, flow(variant, engine));
  return { variant, nodeRed, userDir };
}

async function post(instance: Instance, i: number): Promise<void> {
  const response = await fetchDeployedRoute(`${instance.nodeRed.url}/chat?session=memory-${i % sessions}`, {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain' },
    body: `${sampleText} #${i}`,
    signal: AbortSignal.timeout(60_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${instance.variant}: POST /chat answered ${response.status}: ${text}`);
  const history = JSON.parse(text) as unknown[];
  if (!Array.isArray(history) || history.length === 0) throw new Error(`${instance.variant}: no history in ${text}`);
}

/** Sends messages from..from+count with `concurrency` requests in flight. */
async function drive(instance: Instance, from: number, count: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await post(instance, from + next++);
    }),
  );
}

function rssBytes(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+) kB/.exec(status);
    if (kb) return Number(kb[1]) * 1024;
  } catch {
    // not Linux: ps below
  }
  return Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim()) * 1024;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * RSS once the processes are idle: a pause long enough for V8's memory reducer (it runs a GC some
 * seconds after allocation stops), then the minimum of a few samples.
 */
async function settledRss(instances: Instance[]): Promise<number[]> {
  await sleep(10_000);
  const minima = instances.map(() => Infinity);
  for (let s = 0; s < 6; s++) {
    instances.forEach((inst, k) => (minima[k] = Math.min(minima[k]!, rssBytes(inst.nodeRed.process.pid!))));
    await sleep(500);
  }
  return minima;
}

interface Side {
  rssAtFirst: number;
  rssAtEnd: number;
  /** After a GC forced through the inspector. */
  gcAtFirst: { rss: number; heapUsed: number };
  gcAtEnd: { rss: number; heapUsed: number };
  /** RSS right after each chunk, not settled: the trend only. */
  busySamples: number[];
  /** Time spent driving this side. */
  seconds: number;
}

/**
 * Forces a full GC in the child through its inspector (HeapProfiler.collectGarbage) and returns its
 * heap in use and VmRSS right after: the reading that tells retained memory from garbage not yet
 * collected.
 */
async function afterGc(instance: Instance): Promise<{ rss: number; heapUsed: number }> {
  const url = /Debugger listening on (ws:\/\/\S+)/.exec(instance.nodeRed.output())?.[1];
  if (!url) throw new Error(`${instance.variant}: no inspector address in Node-RED's output`);
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  let id = 0;
  const call = (method: string, params: object = {}) => new Promise<any>((resolve, reject) => { // eslint-disable-line @typescript-eslint/no-explicit-any
    const mine = ++id;
    const onMessage = (data: WebSocket.RawData) => {
      const reply = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string } };
      if (reply.id !== mine) return;
      ws.off('message', onMessage);
      if (reply.error) reject(new Error(reply.error.message)); else resolve(reply.result);
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ id: mine, method, params }));
  });
  try {
    for (let i = 0; i < 3; i++) await call('HeapProfiler.collectGarbage');
    const usage = await call('Runtime.evaluate', { expression: 'process.memoryUsage().heapUsed', returnByValue: true });
    await sleep(500);
    return { rss: rssBytes(instance.nodeRed.process.pid!), heapUsed: Number(usage.result.value) };
  } finally {
    ws.close();
  }
}

export interface MemoryResult {
  count: number;
  first: number;
  concurrency: number;
  ours: Side;
  control: Side;
}

export async function runMemoryCase(engine: Engine, count: number, log: (s: string) => void): Promise<MemoryResult> {
  const instances: Instance[] = [];
  try {
    const started = await Promise.allSettled([start('ours', engine), start('control', engine)]);
    for (const s of started) if (s.status === 'fulfilled') instances.push(s.value);
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    const seconds = [0, 0];
    const chunk = async (from: number, n: number, order: number) => {
      for (let k = 0; k < instances.length; k++) {
        const index = (order + k) % instances.length;
        const started = Date.now();
        await drive(instances[index]!, from, n);
        seconds[index]! += (Date.now() - started) / 1000;
      }
    };
    const first = 1000;
    await chunk(0, first, 0);
    const atFirst = await settledRss(instances);
    const gcAtFirst: Array<{ rss: number; heapUsed: number }> = [];
    for (const instance of instances) gcAtFirst.push(await afterGc(instance));
    const samples: number[][] = instances.map(() => []);
    const rounds = Math.max(1, Math.min(10, Math.round((count - first) / 1000)));
    const step = Math.ceil((count - first) / rounds);
    let round = 1;
    for (let done = first; done < count; done += step, round++) {
      await chunk(done, Math.min(step, count - done), round);
      // The trend, unsettled (one reading right after the chunk); only the two settled readings count.
      const rss = instances.map((inst) => rssBytes(inst.nodeRed.process.pid!));
      rss.forEach((v, k) => samples[k]!.push(v));
      log(`  memory: ${Math.min(done + step, count).toLocaleString('en')} messages: ours ${(rss[0]! / 2 ** 20).toFixed(1)} MB, control ${(rss[1]! / 2 ** 20).toFixed(1)} MB (busy)`);
    }
    const atEnd = await settledRss(instances);
    const gcAtEnd: Array<{ rss: number; heapUsed: number }> = [];
    for (const instance of instances) gcAtEnd.push(await afterGc(instance));
    const result = (k: number) => ({ rssAtFirst: atFirst[k]!, rssAtEnd: atEnd[k]!, gcAtFirst: gcAtFirst[k]!, gcAtEnd: gcAtEnd[k]!, busySamples: samples[k]!, seconds: seconds[k]! });
    return { count, first, concurrency, ours: result(0), control: result(1) };
  } finally {
    for (const instance of instances) {
      await instance.nodeRed.stop();
      rmSync(instance.userDir, { recursive: true, force: true });
    }
  }
}
