/**
 * Node `dynamodb-memory-clear` ("clear session"): deletes every item of a session, or in "user"
 * scope starts forgetting everything the pack keeps for a user, a job that runs in the background
 * and resumes after a restart (lib/memory/forget-job.ts): the msg goes on with the progress on
 * output 2 once nothing of the user can be read, progress follows there, and the msg comes out of
 * output 1 when everything is deleted. The msg contract is in the help text
 * (locales/en-US/dynamodb-memory-clear.html).
 */
import type { Node, NodeAPI, NodeMessage } from 'node-red';
import type { ForgetListener, ForgetProgress } from '../lib/memory/chat-memory';
import { explainAwsFailure } from '../lib/memory/aws-failure';
import { ForgetPausedError } from '../lib/memory/forget-job';
import { parseClearRequest, parseForgetRequest } from '../lib/schemas/clear-request';
import { localizedFailure } from '../lib/node-red/failure-message';
import { handleMessages } from '../lib/node-red/input-handler';
import { connectionOf, evaluateUser, memoryFor, type MemoryNodeDef } from '../lib/node-red/memory-config';
import { withDefaults } from '../lib/node-red/node-defaults';
import { definedFields, evaluateProperty } from '../lib/node-red/typed-property';

interface ClearDef extends MemoryNodeDef {
  sessionId: string;
  sessionIdType: string;
  /** 'session': one session; 'user': everything of msg.userId (forget user). */
  scope: 'session' | 'user';
}

type MemoryMsg = NodeMessage & { memory?: unknown };

export = function register(RED: NodeAPI): void {
  function DynamoDBMemoryClear(this: Node, deployed: ClearDef) {
    const def = withDefaults('dynamodb-memory-clear', deployed);
    RED.nodes.createNode(this, def);
    const node = this;
    const connection = connectionOf(RED, def.memory);
    /** The msgs whose forget is running, by user: each hears of the job's progress and end. */
    const waiting = new Map<string, MemoryMsg[]>();

    const progressText = (p: ForgetProgress) => p.total === undefined
      ? RED._('dynamodb-memory-clear.status.counting', { userId: p.userId })
      : RED._('dynamodb-memory-clear.status.forgetting', { userId: p.userId, items: p.items, total: p.total });
    const progressMsg = (msg: MemoryMsg, p: ForgetProgress): MemoryMsg => ({ ...RED.util.cloneMessage(msg), topic: 'forget', payload: p });
    const finalMsg = (msg: MemoryMsg, p: ForgetProgress): MemoryMsg => ({
      ...RED.util.cloneMessage(msg),
      payload: p.items,
      memory: { userId: p.userId, deleted: p.deleted, items: p.items, total: p.total, sessions: p.sessions, startedAt: p.startedAt },
    });
    const ended = (p: ForgetProgress, msgs: MemoryMsg[]) => {
      node.status({ fill: 'green', shape: 'dot', text: RED._('dynamodb-memory-clear.status.forgot', { count: p.items }) });
      for (const msg of msgs) node.send([finalMsg(msg, p), null]);
    };
    const failed = (userId: string, error: unknown, msgs: MemoryMsg[]) => {
      if (error instanceof ForgetPausedError) {
        node.status({ fill: 'yellow', shape: 'ring', text: RED._('dynamodb-memory-clear.status.paused', { userId }) });
        return;
      }
      const failure = localizedFailure(explainAwsFailure(error, connection()?.place ?? { tableName: '' }), RED._);
      node.status({ fill: 'red', shape: 'ring', text: failure.message.slice(0, 60) });
      for (const msg of msgs.length > 0 ? msgs : [{ _msgid: RED.util.generateId(), topic: 'forget', payload: userId }]) node.error(failure, msg);
    };

    // Jobs this node's msgs started or joined: progress to their msgs. Jobs resumed after a restart
    // (no msg asked for them here): progress and end on a msg of their own, from every node set to forget.
    const listener: ForgetListener = (p, origin) => {
      const msgs = waiting.get(p.userId);
      if (!msgs && !origin.resumed) return;
      if (origin.error !== undefined) {
        if (!msgs) failed(p.userId, origin.error, []);
        return;
      }
      if (p.state === 'done') {
        if (!msgs) ended(p, [{ _msgid: RED.util.generateId(), topic: 'forget' }]);
        return;
      }
      node.status({ fill: 'blue', shape: 'ring', text: progressText(p) });
      for (const msg of msgs ?? [{ _msgid: RED.util.generateId() }]) node.send([null, progressMsg(msg, p)]);
    };
    const unsubscribe = def.scope === 'user' ? connection()?.forgetJobs.onProgress(listener) : undefined;
    node.on('close', (_removed: boolean, done: () => void) => {
      unsubscribe?.();
      done();
    });

    const forgetUser = async (msg: MemoryMsg) => {
      const userId = await evaluateUser(RED, node, msg, def);
      const request = parseForgetRequest(definedFields({ userId }));
      const memory = await memoryFor(RED, def.memory);
      const job = await memory.startForgetUser(request);
      const original = RED.util.cloneMessage(msg);
      const joined = waiting.get(request.userId);
      if (joined) joined.push(original);
      const msgs = joined ?? [original];
      // A msg that joins a job this node already follows is told with the others.
      if (!joined) waiting.set(request.userId, msgs);
      if (!joined) job.finished.then(
        (p) => {
          waiting.delete(request.userId);
          ended(p, msgs);
        },
        (error: unknown) => {
          waiting.delete(request.userId);
          failed(request.userId, error, msgs);
        },
      );
      msg.topic = 'forget';
      msg.payload = job.progress;
      return { status: progressText(job.progress), outputs: [null, msg] };
    };
    handleMessages(RED, node, RED._('dynamodb-memory-clear.status.clearing'), async (msg: MemoryMsg) => {
      if (def.scope === 'user') return forgetUser(msg);
      const [sessionId, userId] = await Promise.all([
        evaluateProperty(RED, node, msg, { value: def.sessionId, type: def.sessionIdType }),
        evaluateUser(RED, node, msg, def),
      ]);
      const request = parseClearRequest(definedFields({ sessionId, userId }));
      const memory = await memoryFor(RED, def.memory);
      const deleted = await memory.clearSession(request);
      msg.payload = deleted.messages;
      msg.memory = { sessionId: request.sessionId, deleted };
      return RED._('dynamodb-memory-clear.status.cleared', { count: deleted.messages });
    }, connection);
  }
  RED.nodes.registerType('dynamodb-memory-clear', DynamoDBMemoryClear);
};
