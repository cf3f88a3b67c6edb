/** What a memory node needs from its config node, and how it finds it. */
import type { Node, NodeAPI } from 'node-red';
import type { FailurePlace } from '../memory/aws-failure';
import type { ChatMemory } from '../memory/chat-memory';
import { MemoryInputError } from '../errors/input-errors';

export interface MemoryConfigNode extends Node {
  /** The memory on this connection; the first call creates the table when the node is set to. */
  memory(): Promise<ChatMemory>;
  /** The table, region and endpoint of this connection, to explain its failures. */
  place: FailurePlace;
}

/** The settings every memory node has. */
export interface MemoryNodeDef {
  id: string;
  type: string;
  name: string;
  z: string;
  memory: string;
}

export function memoryFor(RED: NodeAPI, configId: string): Promise<ChatMemory> {
  const config = RED.nodes.getNode(configId) as MemoryConfigNode | null;
  if (!config) {
    return Promise.reject(new MemoryInputError('input.no-connection'));
  }
  return config.memory();
}

/** Where the connection's calls go, looked up when a failure needs explaining (undefined: no connection set). */
export function connectionPlace(RED: NodeAPI, configId: string): () => FailurePlace | undefined {
  return () => (RED.nodes.getNode(configId) as MemoryConfigNode | null)?.place;
}
