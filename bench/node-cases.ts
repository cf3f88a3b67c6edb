/** The node side of each case: one msg through a node of the in-process Node-RED runtime. */
import type { NodeRuntime } from './node-runtime';

export function nodeStore(runtime: NodeRuntime, sessionId: string, content: string): Promise<unknown> {
  return runtime.send('store', { sessionId, payload: content });
}

export async function nodeHistory(runtime: NodeRuntime, sessionId: string): Promise<unknown[]> {
  const msg = await runtime.send('history', { sessionId });
  return msg['history'] as unknown[];
}

/** Returns the messages the node deleted. */
export async function nodeClear(runtime: NodeRuntime, sessionId: string): Promise<number> {
  const msg = await runtime.send('clear', { sessionId });
  return msg['payload'] as number;
}

/** Builds the context for one new user message; returns the msg.context report. */
export async function nodeContext(runtime: NodeRuntime, sessionId: string, content: string): Promise<{ history: { count: number }; totalTokens: number }> {
  const msg = await runtime.send('context', { sessionId, payload: content });
  return msg['context'] as { history: { count: number }; totalTokens: number };
}
