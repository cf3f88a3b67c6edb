/** What a memory node needs from its config node, and how it finds it. */
import type { Node, NodeAPI, NodeMessage } from 'node-red';
import type { FailurePlace } from '../memory/aws-failure';
import type { ChatMemory } from '../memory/chat-memory';
import type { ForgetJobs } from '../memory/forget-job';
import { MemoryInputError } from '../errors/input-errors';
import { evaluateOptional } from './typed-property';

export interface MemoryConfigNode extends Node {
  /** The memory on this connection; the first call creates the table when the node is set to. */
  memory(): Promise<ChatMemory>;
  /** The table, region and endpoint of this connection, to explain its failures. */
  place: FailurePlace;
  /** Every msg must name its user (the connection's "require a user"). */
  requireUser: boolean;
  /** The forget jobs on this connection: nodes follow their progress (lib/memory/forget-job.ts). */
  forgetJobs: ForgetJobs;
  /** Settles once the start's look for unfinished forget jobs on the table is done (it never rejects). */
  startup: Promise<void>;
  /** Counts a msg's work as running on this connection, so closing it waits for the work to end. */
  track(work: Promise<unknown>): void;
}

/** The settings every memory node has. */
export interface MemoryNodeDef {
  id: string;
  type: string;
  name: string;
  z: string;
  memory: string;
  userId: string;
  userIdType: string;
}

export function memoryFor(RED: NodeAPI, configId: string): Promise<ChatMemory> {
  const config = RED.nodes.getNode(configId) as MemoryConfigNode | null;
  if (!config) {
    return Promise.reject(new MemoryInputError('input.no-connection'));
  }
  return config.memory();
}

/** The node's connection, looked up when needed (undefined: no connection set, or not deployed). */
export function connectionOf(RED: NodeAPI, configId: string): () => MemoryConfigNode | undefined {
  return () => (RED.nodes.getNode(configId) as MemoryConfigNode | null) ?? undefined;
}

/**
 * The msg's user, read where the node's user field says. When the connection requires a user, a
 * msg without one is refused here, before the node reads or writes anything: ownership is then
 * the connection's rule, not each flow's choice to pass a userId.
 */
export async function evaluateUser(RED: NodeAPI, node: Node, msg: NodeMessage, def: MemoryNodeDef): Promise<unknown> {
  const userId = await evaluateOptional(RED, node, msg, { value: def.userId, type: def.userIdType });
  if (userId === undefined && (RED.nodes.getNode(def.memory) as MemoryConfigNode | null)?.requireUser) {
    throw new MemoryInputError('input.user-required');
  }
  return userId;
}
