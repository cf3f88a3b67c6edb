/**
 * The pack's nodes in a real Node-RED runtime, in this process (node-red-node-test-helper starts
 * the real runtime with its message routing, status events and config nodes). One flow: a config
 * node on the bench's DynamoDB Local, a store, a history, a clear and a context node, each wired to an
 * output, and a Catch node; `send` resolves when the msg comes out of the node. The helper's
 * call-recording spies are removed after loading, so what runs is the plain runtime.
 */
import helper from 'node-red-node-test-helper';
import { credentials } from './engine';

/* eslint-disable @typescript-eslint/no-require-imports */
const nodeModules = [
  require('../credentials/dynamodb-memory-config'),
  require('../nodes/dynamodb-memory-store'),
  require('../nodes/dynamodb-memory-history'),
  require('../nodes/dynamodb-memory-clear'),
  require('../nodes/dynamodb-memory-context'),
  require('@node-red/nodes/core/common/25-catch'),
];

export type Msg = Record<string, unknown>;
export type NodeName = 'store' | 'history' | 'clear' | 'context';

export interface NodeRuntime {
  send(node: NodeName, msg: Msg): Promise<Msg>;
  stop(): Promise<void>;
}

let started = false;

export async function startNodeRuntime(endpoint: string, tableName: string): Promise<NodeRuntime> {
  if (!started) {
    helper.init(require.resolve('node-red'));
    await new Promise<void>((resolve) => helper.startServer(resolve));
    started = true;
  }
  const ids = { session: 'sessionId', sessionType: 'msg', user: 'userId', userType: 'msg' };
  const common = { z: 'flow', memory: 'config', x: 0, y: 0, sessionId: ids.session, sessionIdType: ids.sessionType, userId: ids.user, userIdType: ids.userType };
  const flow = [
    { id: 'flow', type: 'tab' },
    {
      id: 'config', type: 'dynamodb-memory-config', z: 'flow', region: 'us-east-1', endpoint, table: tableName,
      authType: 'keys', createTable: false, requestTimeoutMs: '30000', maxAttempts: '3', ttlDays: '',
    },
    { ...common, id: 'store', type: 'dynamodb-memory-store', role: 'user', ttlDays: '', wires: [['store-out']] },
    { ...common, id: 'history', type: 'dynamodb-memory-history', count: '20', tokenBudget: '', format: 'messages', property: 'history', wires: [['history-out']] },
    { ...common, id: 'clear', type: 'dynamodb-memory-clear', wires: [['clear-out']] },
    {
      ...common, id: 'context', type: 'dynamodb-memory-context', mode: 'context', template: '', tokenBudget: '8000', shareSystem: '15',
      sharePreferences: '10', shareFacts: '10', shareSummary: '15', shareHistory: '50', encoding: 'o200k_base', format: 'openai',
      summaryThreshold: '', wires: [['context-out'], []],
    },
    { id: 'store-out', type: 'helper', z: 'flow', x: 0, y: 0 },
    { id: 'history-out', type: 'helper', z: 'flow', x: 0, y: 0 },
    { id: 'clear-out', type: 'helper', z: 'flow', x: 0, y: 0 },
    { id: 'context-out', type: 'helper', z: 'flow', x: 0, y: 0 },
    { id: 'catch', type: 'catch', z: 'flow', scope: null, uncaught: false, x: 0, y: 0, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'flow', x: 0, y: 0 },
  ];
  await helper.load(nodeModules, flow, { config: credentials });
  // The helper wraps log, status, send… of every node in sinon spies that record each call for test
  // assertions: memory that grows with every msg and CPU a deployed Node-RED does not spend. The
  // bench measures the runtime as deployed, so the spies go (unload restores them too, harmlessly).
  // sinon's restore skips them (the helper put a Proxy over each spy), so they are undone by hand.
  const internals = helper as unknown as { _sandbox: { restore(): void }; _NodePrototype: Record<string, { wrappedMethod?: unknown }> };
  for (const method of ['log', 'status', 'warn', 'error', 'debug', 'trace', 'send']) {
    const original = internals._NodePrototype[method]?.wrappedMethod;
    if (original) internals._NodePrototype[method] = original as never;
  }
  internals._sandbox.restore();
  // Each node took its own copy of the spied `send` when it was created (Node.updateWires keeps
  // `this.send` as an own property): updating the wires again makes it take the plain one.
  for (const { id } of flow) {
    const node = helper.getNode(id) as unknown as { wires?: string[][]; updateWires?(wires: string[][]): void } | null;
    if (node?.updateWires && node.wires) node.updateWires(node.wires);
  }
  // Known limit: a sinon spy on the runtime's log survives this (the registry copied it into each
  // node module's RED.log) and keeps every call with its stack, so memory grows with every msg here;
  // that is why case 5 runs on a plain Node-RED (memory-case.ts) instead.

  // Messages are told apart by a bench id, so any number can be in flight at once.
  let nextId = 0;
  const pending = new Map<number, { resolve: (m: Msg) => void; reject: (e: Error) => void }>();
  for (const name of ['store', 'history', 'clear', 'context']) {
    helper.getNode(`${name}-out`).on('input', (msg: Msg) => {
      const id = msg['benchId'] as number;
      pending.get(id)?.resolve(msg);
      pending.delete(id);
    });
  }
  helper.getNode('caught').on('input', (msg: Msg) => {
    const id = msg['benchId'] as number;
    pending.get(id)?.reject(new Error((msg['error'] as { message: string }).message));
    pending.delete(id);
  });
  const nodes = { store: helper.getNode('store'), history: helper.getNode('history'), clear: helper.getNode('clear'), context: helper.getNode('context') };
  return {
    send(node, msg) {
      return new Promise<Msg>((resolve, reject) => {
        const benchId = nextId++;
        pending.set(benchId, { resolve, reject });
        nodes[node].receive({ ...msg, benchId });
      });
    },
    async stop() {
      await helper.unload();
    },
  };
}

export async function stopNodeRed(): Promise<void> {
  if (!started) return;
  started = false;
  await new Promise<void>((resolve) => helper.stopServer(resolve));
}
