/**
 * Node `dynamodb-memory-history` ("load history"): the newest N messages of a session, oldest
 * first, as chat-API messages, full records or a transcript; or, in "sessions" mode, the user's
 * sessions, newest activity first. The msg contract is in the help text
 * (locales/en-US/dynamodb-memory-history.html).
 */
import type { Node, NodeAPI, NodeMessage } from 'node-red';
import { chatMessage, transcript } from '../lib/memory/chat-message';
import type { MessageRecord } from '../lib/memory/message-record';
import { parseHistoryRequest } from '../lib/schemas/history-request';
import { parseSessionsRequest } from '../lib/schemas/sessions-request';
import { handleMessages } from '../lib/node-red/input-handler';
import { connectionOf, evaluateUser, memoryFor, type MemoryNodeDef } from '../lib/node-red/memory-config';
import { withDefaults } from '../lib/node-red/node-defaults';
import { configuredNumber, definedFields, evaluateProperty } from '../lib/node-red/typed-property';

interface HistoryDef extends MemoryNodeDef {
  sessionId: string;
  sessionIdType: string;
  count: string;
  tokenBudget: string;
  format: 'messages' | 'records' | 'transcript';
  property: string;
  /** 'history': a session's messages; 'sessions': the user's sessions. */
  mode: 'history' | 'sessions';
}

type HistoryMsg = NodeMessage & { limit?: unknown; since?: unknown; until?: unknown; tokenBudget?: unknown; cursor?: unknown };

function formatted(records: MessageRecord[], format: HistoryDef['format']): unknown {
  switch (format) {
    case 'records':
      return records;
    case 'transcript':
      return transcript(records);
    default:
      return records.map(chatMessage);
  }
}


export = function register(RED: NodeAPI): void {
  function DynamoDBMemoryHistory(this: Node, deployed: HistoryDef) {
    const def = withDefaults('dynamodb-memory-history', deployed);
    RED.nodes.createNode(this, def);
    const property = def.property || 'history';
    const listSessions = async (msg: HistoryMsg) => {
      const userId = await evaluateUser(RED, this, msg, def);
      const request = parseSessionsRequest(definedFields({ userId, limit: msg.limit ?? configuredNumber(def.count), cursor: msg.cursor }));
      const memory = await memoryFor(RED, def.memory);
      const page = await memory.listSessions(request);
      RED.util.setMessageProperty(msg, property, page.sessions, true);
      if (page.cursor) msg.cursor = page.cursor;
      else delete msg.cursor;
      return RED._('dynamodb-memory-history.status.sessions', { count: page.sessions.length });
    };
    handleMessages(RED, this, RED._('dynamodb-memory-history.status.loading'), async (msg: HistoryMsg) => {
      if (def.mode === 'sessions') return listSessions(msg);
      const [sessionId, userId] = await Promise.all([
        evaluateProperty(RED, this, msg, { value: def.sessionId, type: def.sessionIdType }),
        evaluateUser(RED, this, msg, def),
      ]);
      const request = parseHistoryRequest(
        definedFields({
          sessionId,
          userId,
          limit: msg.limit ?? configuredNumber(def.count),
          since: msg.since,
          until: msg.until,
          tokenBudget: msg.tokenBudget ?? configuredNumber(def.tokenBudget),
        }),
      );
      const memory = await memoryFor(RED, def.memory);
      const records = await memory.history(request);
      RED.util.setMessageProperty(msg, property, formatted(records, def.format), true);
      return RED._('dynamodb-memory-history.status.loaded', { count: records.length });
    }, connectionOf(RED, def.memory));
  }
  RED.nodes.registerType('dynamodb-memory-history', DynamoDBMemoryHistory);
};
