/**
 * Node `dynamodb-memory-clear` ("clear session"): deletes every item of a session. The msg contract
 * is in the help text (locales/en-US/dynamodb-memory-clear.html).
 */
import type { Node, NodeAPI, NodeMessage } from 'node-red';
import { parseClearRequest } from '../lib/schemas/clear-request';
import { handleMessages } from '../lib/node-red/input-handler';
import { memoryFor, type MemoryNodeDef } from '../lib/node-red/memory-config';
import { definedFields, evaluateOptional, evaluateProperty } from '../lib/node-red/typed-property';

interface ClearDef extends MemoryNodeDef {
  sessionId: string;
  sessionIdType: string;
  userId: string;
  userIdType: string;
}

export = function register(RED: NodeAPI): void {
  function DynamoDBMemoryClear(this: Node, def: ClearDef) {
    RED.nodes.createNode(this, def);
    handleMessages(this, RED._('dynamodb-memory-clear.status.clearing'), async (msg: NodeMessage & { memory?: unknown }) => {
      const [sessionId, userId] = await Promise.all([
        evaluateProperty(RED, this, msg, { value: def.sessionId, type: def.sessionIdType }),
        evaluateOptional(RED, this, msg, { value: def.userId, type: def.userIdType }),
      ]);
      const request = parseClearRequest(definedFields({ sessionId, userId }));
      const memory = await memoryFor(RED, def.memory);
      const deleted = await memory.clearSession(request);
      msg.payload = deleted.messages;
      msg.memory = { sessionId: request.sessionId, deleted };
      return RED._('dynamodb-memory-clear.status.cleared', { count: deleted.messages });
    });
  }
  RED.nodes.registerType('dynamodb-memory-clear', DynamoDBMemoryClear);
};
