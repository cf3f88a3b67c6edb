/**
 * Runs the memory nodes in a real Node-RED runtime (node-red-node-test-helper) against the test
 * run's DynamoDB Local. Every memory node is wired to a helper that receives what it sends, a
 * Catch node receives what it reports with done(err), and a Complete node (into helper `completed`)
 * what it finishes with done(), so a test sees exactly what a flow would.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import helper from 'node-red-node-test-helper';
import type { Node } from 'node-red';
import { dynamoDBLocal } from './root-hooks';
import { ensureTable } from '../../lib/memory/table-setup';
import { localConnection, localCredentials, scanTable, uniqueName } from './memory-table';
import type { MemoryConfigNode } from '../../lib/node-red/memory-config';
import type { MemoryNodeType } from '../../lib/node-red/node-defaults';

helper.init(require.resolve('node-red'));

/* eslint-disable @typescript-eslint/no-require-imports */
const memoryNodeModules = [
  require('../../credentials/dynamodb-memory-config'),
  require('../../nodes/dynamodb-memory-store'),
  require('../../nodes/dynamodb-memory-history'),
  require('../../nodes/dynamodb-memory-clear'),
  require('../../nodes/dynamodb-memory-preference'),
  require('../../nodes/dynamodb-memory-graph'),
  require('../../nodes/dynamodb-memory-context'),
  require('../../nodes/dynamodb-memory-transfer'),
  require('../../nodes/dynamodb-memory-recall'),
  require('../../nodes/dynamodb-memory-working'),
  require('../../nodes/dynamodb-memory-extract'),
  require('@node-red/nodes/core/common/25-catch'),
  require('@node-red/nodes/core/common/24-complete'),
];

export type Msg = Record<string, unknown>;

/** Listens on a helper node of the flow for the msgs `match` accepts; returns what stops listening. */
function listen(helperId: string, match: (m: Msg) => boolean, then: (m: Msg) => void): () => void {
  const node = helper.getNode(helperId);
  const listener = (m: Msg) => {
    if (match(m)) then(m);
  };
  node.on('input', listener);
  return () => node.removeListener('input', listener);
}

const errorOf = (caught: Msg) => caught['error'] as { message: string; source: { id: string } };
/** Catch's msg for the error `nodeId` reported for the msg `msgid`. */
const caughtFrom = (nodeId: string, msgid: unknown, caught: Msg) => caught['_msgid'] === msgid && errorOf(caught).source.id === nodeId;
/** Complete's msg for the msg `msgid` that `nodeId` finished with done(). */
const completedBy = (nodeId: string, msgid: unknown, m: Msg) => m['_msgid'] === msgid && (m['complete'] as { source: { id: string } }).source.id === nodeId;

/** The helper nodes each memory node's outputs are wired to (three: the most any memory node has). */
const outputIds = (nodeId: string) => [`${nodeId}-out`, `${nodeId}-out2`, `${nodeId}-out3`];

/** What a node did with one msg: sent it on, or reported an error that a Catch node received. */
export type Outcome = { sent: Msg; error?: undefined } | { error: string; caught: Msg; sent?: undefined };

export interface MemoryFlow {
  tableName: string;
  /** Sends msg into the node and resolves with what came out of it or what Catch received. */
  run(nodeId: string, msg: Msg, onId?: (msgid: string) => void): Promise<Outcome>;
  /**
   * Like run, for a node with two outputs: resolves once the node has finished the msg (Complete,
   * or Catch), with what output 2 sent for it before that.
   */
  runBoth(nodeId: string, msg: Msg): Promise<Outcome & { second?: Msg }>;
  /**
   * For a node that may send on any of its outputs, or on none: resolves once the node has finished
   * the msg (Complete, or Catch), with what each output sent for it (undefined: nothing); onId
   * sees its `_msgid`, as run's does.
   */
  runOutputs(nodeId: string, msg: Msg, onId?: (msgid: string) => void): Promise<{ outputs: Array<Msg | undefined>; error?: string }>;
  /** The status the node showed last. */
  lastStatus(nodeId: string): { fill?: string; text?: string } | undefined;
  node(nodeId: string): Node;
}

export interface FlowOptions {
  tableName?: string;
  credentials?: Record<string, string>;
  config?: Record<string, unknown>;
  /** False: the flow starts with its table missing, for the config node's createTable to make. */
  tableFirst?: false;
}

/**
 * A memory node of the flow: {id, type, ...settings}, the rest left to the node's defaults (the
 * runtime applies them). `position: false` deploys it without x and y, as a flow written by hand
 * may: the runtime then takes it for a config node, and it still gets msgs and sends them on.
 */
export type FlowNode = Msg & { id: string; type: MemoryNodeType; position?: false };

/**
 * Loads a flow of memory nodes; every node uses one config node on DynamoDB Local (a fresh table
 * unless one is given).
 */
export async function loadMemoryFlow(nodes: FlowNode[], options: FlowOptions = {}): Promise<MemoryFlow> {
  const tableName = options.tableName ?? uniqueName('nodes');
  // The table exists before the flow starts, so a test can look for what bad input did not write.
  if (options.tableFirst !== false) {
    const connection = localConnection();
    await ensureTable(connection.client, tableName).finally(() => connection.client.destroy());
  }
  const flow: object[] = [
    { id: 'flow', type: 'tab' },
    {
      id: 'config', type: 'dynamodb-memory-config', z: 'flow', region: 'us-east-1', endpoint: dynamoDBLocal().endpoint,
      table: tableName, authType: 'keys', createTable: true, requestTimeoutMs: '10000', maxAttempts: '3', ttlDays: '',
      ...options.config,
    },
    { id: 'catch', type: 'catch', z: 'flow', scope: null, uncaught: false, x: 0, y: 0, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'flow', x: 0, y: 0 },
    { id: 'complete', type: 'complete', z: 'flow', scope: nodes.map((n) => n.id), uncaught: false, x: 0, y: 0, wires: [['completed']] },
    { id: 'completed', type: 'helper', z: 'flow', x: 0, y: 0 },
  ];
  for (const { position, ...node } of nodes) {
    const placed = position === false ? {} : { x: 0, y: 0 };
    flow.push({ memory: 'config', z: 'flow', ...placed, ...node, wires: outputIds(node.id).map((id) => [id]) });
    for (const id of outputIds(node.id)) flow.push({ id, type: 'helper', z: 'flow', x: 0, y: 0 });
  }
  const statuses = new Map<string, { fill?: string; text?: string }>();
  await helper.load(memoryNodeModules, flow, { config: options.credentials ?? localCredentials });
  // The connection's first calls (a look for unfinished forget jobs) are over before a test counts calls.
  await (helper.getNode('config') as unknown as MemoryConfigNode).startup;
  for (const node of nodes) {
    const n = helper.getNode(node.id);
    const status = n.status.bind(n);
    n.status = (s: string | { fill?: string; text?: string }) => {
      if (typeof s === 'object') statuses.set(node.id, s);
      status(s as never);
    };
  }
  const flowApi: MemoryFlow = {
    tableName,
    node: (id) => helper.getNode(id),
    lastStatus: (id) => statuses.get(id),
    async runBoth(nodeId, msg) {
      let got: Msg | undefined;
      let msgid: unknown;
      let finished!: () => void;
      const done = new Promise<void>((resolve) => (finished = resolve));
      // The node calls done() after its sends, and the runtime queues the Complete node's msg
      // behind them: once it arrives, everything the node sent for this msg has been delivered,
      // however long the node took between its sends.
      const stops = [
        listen(`${nodeId}-out2`, (m) => msgid !== undefined && m['_msgid'] === msgid, (m) => (got = m)),
        listen('completed', (m) => completedBy(nodeId, msgid, m), finished),
      ];
      try {
        const outcome = await flowApi.run(nodeId, msg, (id: string) => (msgid = id));
        if (outcome.error === undefined) await done;
        return { ...outcome, ...(got ? { second: got } : {}) };
      } finally {
        for (const stop of stops) stop();
      }
    },
    async runOutputs(nodeId, msg, onId) {
      const msgid = randomUUID();
      onId?.(msgid);
      const outputs: Array<Msg | undefined> = [];
      let finish!: (error: string | undefined) => void;
      const finished = new Promise<string | undefined>((resolve) => (finish = resolve));
      const stops = [
        ...outputIds(nodeId).map((id, index) => listen(id, (m) => m['_msgid'] === msgid, (m) => (outputs[index] = m))),
        listen('completed', (m) => completedBy(nodeId, msgid, m), () => finish(undefined)),
        listen('caught', (c) => caughtFrom(nodeId, msgid, c), (c) => finish(errorOf(c).message)),
      ];
      helper.getNode(nodeId).receive({ ...msg, _msgid: msgid });
      try {
        const error = await finished;
        return { outputs: outputIds(nodeId).map((_, index) => outputs[index]), ...(error !== undefined ? { error } : {}) };
      } finally {
        for (const stop of stops) stop();
      }
    },
    run(nodeId: string, msg: Msg, onId?: (id: string) => void) {
      // Runs may overlap on one node: each outcome is matched to its msg by _msgid, which nodes and
      // Catch keep.
      const msgid = randomUUID();
      onId?.(msgid);
      return new Promise<Outcome>((resolve) => {
        const finish = (outcome: Outcome) => {
          for (const stop of stops) stop();
          resolve(outcome);
        };
        const stops = [
          listen(`${nodeId}-out`, (m) => m['_msgid'] === msgid, (sent) => finish({ sent })),
          listen('caught', (c) => caughtFrom(nodeId, msgid, c), (c) => finish({ error: errorOf(c).message, caught: c })),
        ];
        helper.getNode(nodeId).receive({ ...msg, _msgid: msgid });
      });
    },
  };
  return flowApi;
}

/** What the node sent on; fails the test with the node's error when it reported one instead. */
export async function sent(flow: MemoryFlow, nodeId: string, msg: Msg): Promise<Msg> {
  const outcome = await flow.run(nodeId, msg);
  if (outcome.error !== undefined) throw new Error(`${nodeId} reported: ${outcome.error}`);
  return outcome.sent;
}

/**
 * Sends msg until the node sends it on, as a flow with Catch → delay → retry would: safe because
 * every msg carries a messageId. Returns how many times it had to be sent again; onId sees the
 * `_msgid` of every send.
 */
export async function sendUntilStored(flow: MemoryFlow, nodeId: string, msg: Msg, onId?: (msgid: string) => void): Promise<number> {
  let lastError = '';
  for (let resends = 0; resends < 20; resends++) {
    const outcome = await flow.run(nodeId, { ...msg }, onId);
    if (outcome.error === undefined) return resends;
    lastError = outcome.error;
  }
  throw new Error(`${nodeId} failed 20 times for ${JSON.stringify(msg).slice(0, 80)}: ${lastError}`);
}

export function startNodeRed(): Promise<void> {
  return new Promise((resolve) => helper.startServer(resolve));
}

export function stopNodeRed(): Promise<void> {
  return new Promise((resolve) => helper.stopServer(resolve));
}

export const unloadFlow = () => helper.unload();

/**
 * The helper's spies on every node's send, status, error and log keep each call's arguments, msgs
 * included, until the flow unloads: thousands of big generated msgs through one flow filled the
 * heap (4 GB). A test that sends that many forgets them with this once it has checked them.
 */
export const forgetNodeCalls = () => helper._sandbox.resetHistory();

/**
 * One test per case, [what, msg, error]: the msg sent into the node reaches Catch with a
 * MemoryInputError matching the error, turns its status red, and writes nothing (the flow's table
 * stays empty).
 */
export function refusesBadInput(flow: () => MemoryFlow, nodeId: string, cases: Array<[string, Msg, RegExp]>): void {
  for (const [what, msg, message] of cases) {
    it(what, async () => {
      const outcome = await flow().run(nodeId, msg);
      assert.match(outcome.error ?? 'no error', message);
      assert.match(outcome.error ?? '', /^MemoryInputError/);
      assert.equal(flow().lastStatus(nodeId)?.fill, 'red');
      assert.deepEqual(await scanTable(flow().tableName), []);
    });
  }
}
