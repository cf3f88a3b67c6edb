/**
 * Node `dynamodb-memory-clear` ("clear session"): deletes every item of a session, or in "user"
 * scope everything the pack keeps for a user (forget user). The msg contract
 * is in the help text (locales/en-US/dynamodb-memory-clear.html).
 */
import type { Node, NodeAPI, NodeMessage } from 'node-red';
import { parseClearRequest, parseForgetRequest } from '../lib/schemas/clear-request';
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

export = function register(RED: NodeAPI): void {
  function DynamoDBMemoryClear(this: Node, deployed: ClearDef) {
    const def = withDefaults('dynamodb-memory-clear', deployed);
    RED.nodes.createNode(this, def);
    const forgetUser = async (msg: NodeMessage & { memory?: unknown }) => {
      const userId = await evaluateUser(RED, this, msg, def);
      const request = parseForgetRequest(definedFields({ userId }));
      const memory = await memoryFor(RED, def.memory);
      const result = await memory.forgetUser(request);
      msg.payload = result.items;
      msg.memory = { userId: request.userId, ...result };
      return RED._('dynamodb-memory-clear.status.forgot', { count: result.items });
    };
    handleMessages(RED, this, RED._('dynamodb-memory-clear.status.clearing'), async (msg: NodeMessage & { memory?: unknown }) => {
      if (def.scope === 'user') return forgetUser(msg);
      const [sessionId, userId] = await Promise.all([
        evaluateProperty(RED, this, msg, { value: def.sessionId, type: def.sessionIdType }),
        evaluateUser(RED, this, msg, def),
      ]);
      const request = parseClearRequest(definedFields({ sessionId, userId }));
      const memory = await memoryFor(RED, def.memory);
      const deleted = await memory.clearSession(request);
      msg.payload = deleted.messages;
      msg.memory = { sessionId: request.sessionId, deleted };
      return RED._('dynamodb-memory-clear.status.cleared', { count: deleted.messages });
    }, connectionOf(RED, def.memory));
  }
  RED.nodes.registerType('dynamodb-memory-clear', DynamoDBMemoryClear);
};
