/**
 * Node `dynamodb-memory-context` ("context"): builds the context for one LLM call (system prompt
 * with preferences, facts, the user's memories most relevant to the message and the session summary, the newest messages that fit the token budget,
 * the new user message last) in OpenAI, Anthropic, Ollama or plain-text form, for the node's model. A second output sends the
 * messages the summary does not cover yet once they reach the node's threshold. In "stats" mode
 * (or with msg.operation = 'stats') it reports the session's and the table's statistics. The msg
 * contract is in the help text (locales/en-US/dynamodb-memory-context.html).
 */
import type { Node, NodeAPI, NodeMessage } from 'node-red';
import { parseContextRequest, parseStatsRequest } from '../lib/schemas/context-request';
import { handleMessages } from '../lib/node-red/input-handler';
import { connectionOf, evaluateUser, memoryFor, type MemoryNodeDef } from '../lib/node-red/memory-config';
import { withDefaults } from '../lib/node-red/node-defaults';
import { configuredNumber, definedFields, evaluateOptional } from '../lib/node-red/typed-property';

interface ContextDef extends MemoryNodeDef {
  sessionId: string;
  sessionIdType: string;
  /** Blank: the default template (see context-builder.ts). */
  template: string;
  tokenBudget: string;
  shareSystem: string;
  sharePreferences: string;
  shareFacts: string;
  shareSummary: string;
  shareHistory: string;
  shareMemories: string;
  shareWorking: string;
  encoding: string;
  format: string;
  /** Blank: no model in the request; msg.model wins when set. */
  model: string;
  summaryThreshold: string;
  /** 'context': build the context; 'stats': statistics. */
  mode: 'context' | 'stats';
}

type ContextMsg = NodeMessage & {
  operation?: unknown;
  tokenBudget?: unknown;
  model?: unknown;
  embedding?: unknown;
  embedder?: unknown;
  context?: unknown;
  stats?: unknown;
};


export = function register(RED: NodeAPI): void {
  function DynamoDBMemoryContext(this: Node, deployed: ContextDef) {
    const def = withDefaults('dynamodb-memory-context', deployed);
    RED.nodes.createNode(this, def);
    const shares = definedFields({
      system: configuredNumber(def.shareSystem),
      preferences: configuredNumber(def.sharePreferences),
      facts: configuredNumber(def.shareFacts),
      summary: configuredNumber(def.shareSummary),
      history: configuredNumber(def.shareHistory),
      memories: configuredNumber(def.shareMemories),
      working: configuredNumber(def.shareWorking),
    });
    handleMessages(RED, this, RED._('dynamodb-memory-context.status.building'), async (msg: ContextMsg) => {
      const [sessionId, userId] = await Promise.all([
        evaluateOptional(RED, this, msg, { value: def.sessionId, type: def.sessionIdType }),
        evaluateUser(RED, this, msg, def),
      ]);
      const memory = await memoryFor(RED, def.memory);
      if (msg.operation === 'stats' || (msg.operation === undefined && def.mode === 'stats')) {
        const request = parseStatsRequest(definedFields({ sessionId, userId }));
        const [session, table] = await Promise.all([
          request.sessionId === undefined ? undefined : memory.sessionStats({ sessionId: request.sessionId, ...definedFields({ userId: request.userId }) }),
          memory.tableStats(),
        ]);
        msg.payload = { ...(session ? { session } : {}), table };
        return RED._('dynamodb-memory-context.status.stats', { sessions: table.sessions, messages: table.messages });
      }
      const request = parseContextRequest(
        definedFields({
          sessionId,
          userId,
          payload: msg.payload,
          tokenBudget: msg.tokenBudget ?? configuredNumber(def.tokenBudget),
          shares,
          encoding: def.encoding || undefined,
          format: def.format || undefined,
          model: msg.model ?? (def.model || undefined),
          template: def.template === '' ? undefined : def.template,
          embedding: msg.embedding,
          embedder: msg.embedder,
          summaryThreshold: configuredNumber(def.summaryThreshold),
        }),
      );
      const result = await memory.context(request);
      msg.payload = result.payload;
      msg.context = result.context;
      // A text prompt has no body to name the model in: it goes beside it, where model nodes look.
      if (request.format === 'text' && request.model !== undefined) msg.model = request.model;
      const status = RED._('dynamodb-memory-context.status.built', {
        tokens: result.context.totalTokens,
        budget: result.context.tokenBudget,
        count: result.context.history.count,
      });
      // The recalled memories' access counts are written while the msg goes on; done() waits for them.
      const afterSend = result.accessRecorded;
      if (!result.summaryDue) return { status, outputs: [msg, null], afterSend };
      const due = result.summaryDue;
      const summaryMsg = {
        _msgid: msg._msgid,
        sessionId: request.sessionId,
        ...(request.userId !== undefined ? { userId: request.userId } : {}),
        role: 'summary',
        covers: due.covers,
        payload: { summary: due.summary, messages: due.messages, transcript: due.transcript, uncovered: due.uncovered },
      };
      return { status: `${status} ${RED._('dynamodb-memory-context.status.summaryDue')}`, outputs: [msg, summaryMsg as NodeMessage], afterSend };
    }, connectionOf(RED, def.memory));
  }
  RED.nodes.registerType('dynamodb-memory-context', DynamoDBMemoryContext);
};
