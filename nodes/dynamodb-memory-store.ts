/**
 * Node `dynamodb-memory-store` ("store message"): stores msg.payload (a string, a {role, content}
 * object, or an array of them) in the session's history. The msg contract is in the help text
 * (locales/en-US/dynamodb-memory-store.html).
 */
import type { Node, NodeAPI, NodeMessage } from 'node-red';
import { parseStoreRequest } from '../lib/schemas/store-request';
import { parseSummaryRequest } from '../lib/schemas/summary-request';
import { handleMessages } from '../lib/node-red/input-handler';
import { connectionOf, evaluateUser, memoryFor, type MemoryNodeDef } from '../lib/node-red/memory-config';
import { withDefaults } from '../lib/node-red/node-defaults';
import { configuredNumber, definedFields, evaluateProperty } from '../lib/node-red/typed-property';

interface StoreDef extends MemoryNodeDef {
  sessionId: string;
  sessionIdType: string;
  role: string;
  ttlDays: string;
}

type StoreMsg = NodeMessage & { role?: unknown; metadata?: unknown; messageId?: unknown; memory?: unknown; covers?: unknown };

/** The role that stores the session's summary (not a message: it never shows in the history). */
const summaryRole = 'summary';

export = function register(RED: NodeAPI): void {
  function DynamoDBMemoryStore(this: Node, deployed: StoreDef) {
    const def = withDefaults('dynamodb-memory-store', deployed);
    RED.nodes.createNode(this, def);
    const ttlDays = configuredNumber(def.ttlDays);
    handleMessages(RED, this, RED._('dynamodb-memory-store.status.storing'), async (msg: StoreMsg) => {
      const [sessionId, userId] = await Promise.all([
        evaluateProperty(RED, this, msg, { value: def.sessionId, type: def.sessionIdType }),
        evaluateUser(RED, this, msg, def),
      ]);
      const role = msg.role ?? def.role;
      if (role === summaryRole) {
        const summary = parseSummaryRequest(definedFields({ sessionId, userId, summary: msg.payload, covers: msg.covers }));
        const result = await (await memoryFor(RED, def.memory)).storeSummary(summary);
        msg.memory = result;
        return RED._(result.stored ? 'dynamodb-memory-store.status.summaryStored' : 'dynamodb-memory-store.status.summaryKept');
      }
      const request = parseStoreRequest(
        definedFields({
          sessionId,
          userId,
          role,
          metadata: msg.metadata,
          messageId: msg.messageId,
          ttlDays,
          payload: msg.payload,
        }),
      );
      const memory = await memoryFor(RED, def.memory);
      const records = await memory.store(request);
      msg.memory = Array.isArray(request.payload) ? records : records[0];
      const stored = records.filter((r) => !r.duplicate).length;
      return records.length === stored
        ? RED._('dynamodb-memory-store.status.stored', { count: stored })
        : RED._('dynamodb-memory-store.status.storedWithDuplicates', { count: stored, duplicates: records.length - stored });
    }, connectionOf(RED, def.memory));
  }
  RED.nodes.registerType('dynamodb-memory-store', DynamoDBMemoryStore);
};
