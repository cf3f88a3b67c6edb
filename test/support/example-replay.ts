/**
 * An example flow from examples/ as shipped, deployed to a real Node-RED (a child process on a
 * temporary user directory that links this repo, the way `npm start` runs it) with only its
 * connection pointed at the test run's DynamoDB Local, on a fresh table; driven as a person does, by
 * clicking its inject buttons, and read from its debug nodes in the editor's websocket.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deployFlows, type FlowNode } from '../../scripts/node-red-process';
import { openComms, pressInject, type Comms } from './editor-comms';
import { startLinkedNodeRed, repoRoot, type LinkedNodeRed } from './linked-node-red';
import { localCredentials, uniqueName } from './memory-table';
import { dynamoDBLocal } from './root-hooks';

export interface ExampleReplay {
  /** The example's nodes, as the file has them. */
  example: FlowNode[];
  /** The table its connection was pointed at (missing until the flow's first memory call). */
  tableName: string;
  /** Clicks the inject button and resolves with the text the debug node then shows. */
  click(injectName: string, debugName: string): Promise<string>;
  stop(): Promise<void>;
}

export function readExample(file: string): FlowNode[] {
  return JSON.parse(readFileSync(join(repoRoot, 'examples', file), 'utf8')) as FlowNode[];
}

export async function replayExample(file: string): Promise<ExampleReplay> {
  const example = readExample(file);
  const tableName = uniqueName('example');
  const linked: LinkedNodeRed = await startLinkedNodeRed('flowmemory-example-');
  let comms: Comms | undefined;
  try {
    comms = await openComms(linked.nodeRed.url, ['debug']);
    const flow = example.map((node) =>
      node.type === 'dynamodb-memory-config'
        ? { ...node, endpoint: dynamoDBLocal().endpoint, table: tableName, authType: 'keys', credentials: localCredentials }
        : node,
    );
    await deployFlows(linked.nodeRed.url, flow);
  } catch (error) {
    comms?.close();
    await linked.stop();
    throw error;
  }
  const named = (type: string, name: string) => {
    const node = example.find((n) => n.type === type && n['name'] === name);
    if (!node) throw new Error(`${file} has no ${type} named "${name}"`);
    return node;
  };
  return {
    example,
    tableName,
    async click(injectName, debugName) {
      const seen = comms!.events.length;
      await pressInject(linked.nodeRed.url, named('inject', injectName).id);
      const debugId = named('debug', debugName).id;
      const shown = await comms!.next((e) => e.topic === 'debug' && e.data['id'] === debugId, seen).catch((error: Error) => {
        throw new Error(`${error.message}\n${linked.nodeRed.output()}`);
      });
      return String(shown.data['msg']);
    },
    async stop() {
      comms!.close();
      await linked.stop();
    },
  };
}

/** The replay of `file` for the tests of the calling describe block: started before them, stopped after. */
export function replayedExample(file: string): () => ExampleReplay {
  let replay: ExampleReplay | undefined;
  before(async function () {
    this.timeout(180_000);
    replay = await replayExample(file);
  });
  after(async function () {
    this.timeout(60_000);
    await replay?.stop();
  });
  return () => replay!;
}
