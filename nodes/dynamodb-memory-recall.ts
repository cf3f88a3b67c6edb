/**
 * Node `dynamodb-memory-recall` ("memories"): long-term memory records in a user's scope, a session's
 * or a named namespace; remembers them, recalls the most relevant to a text, and gets, updates,
 * forgets, lists them or their change history. The operation comes from the node or msg.operation.
 * The msg contract is in the help text (locales/en-US/dynamodb-memory-recall.html).
 */
import type { Node, NodeAPI, NodeMessage } from 'node-red';
import {
  parseListMemoryRequest,
  parseMemoryHistoryRequest,
  parseMemoryIdRequest,
  parseMemoryOperation,
  parseRecallRequest,
  parseRememberRequest,
  parseUpdateMemoryRequest,
} from '../lib/schemas/memory-request';
import { handleMessages, type WorkResult } from '../lib/node-red/input-handler';
import { connectionOf, evaluateUser, memoryFor, type MemoryNodeDef } from '../lib/node-red/memory-config';
import { withDefaults } from '../lib/node-red/node-defaults';
import { configuredNumber, definedFields, evaluateOptional } from '../lib/node-red/typed-property';

interface RecallDef extends MemoryNodeDef {
  operation: string;
  scope: string;
  sessionId: string;
  sessionIdType: string;
  namespace: string;
  /** How many records a recall returns at most (msg.k wins). Not `k`: the editor keeps one-letter names for itself. */
  topK: string;
  minScore: string;
  similarityWeight: string;
  recencyWeight: string;
  importanceWeight: string;
  halfLifeDays: string;
  /** remember: merge into a valid record at least this similar (blank: never). */
  mergeAbove: string;
  /** remember: flag a possible contradiction at least this similar (blank: never). */
  contradictionAbove: string;
  /** remember: what a possible contradiction does, flag or supersede (msg.onContradiction wins). */
  onContradiction: string;
}

type RecallMsg = NodeMessage & {
  operation?: unknown;
  embedding?: unknown;
  embedder?: unknown;
  memoryId?: unknown;
  k?: unknown;
  minScore?: unknown;
  kind?: unknown;
  metadata?: unknown;
  validAt?: unknown;
  limit?: unknown;
  cursor?: unknown;
  recall?: unknown;
  onContradiction?: unknown;
};

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * What a remember stores: msg.payload is a text, a record or an array of them; msg.embedding one
 * vector for one record, or one per record of an array (a missing one is null, which the schema
 * refuses, so no record of a flow's batch quietly gets the built-in vector instead).
 */
function recordsOf(payload: unknown, embedding: unknown): unknown[] {
  const many = Array.isArray(payload);
  const records = (many ? payload : [payload]).map((record) => (typeof record === 'string' ? { text: record } : record));
  if (embedding === undefined) return records;
  return records.map((record, i) => ({ ...(isObject(record) ? record : { text: record }), embedding: many ? ((embedding as unknown[])[i] ?? null) : embedding }));
}

/** The record a msg names: msg.memoryId, else msg.payload.id. */
function memoryIdOf(msg: RecallMsg): unknown {
  return msg.memoryId ?? (isObject(msg.payload) ? msg.payload['id'] : undefined);
}

export = function register(RED: NodeAPI): void {
  function DynamoDBMemoryRecall(this: Node, deployed: RecallDef) {
    const def = withDefaults('dynamodb-memory-recall', deployed);
    RED.nodes.createNode(this, def);
    const configured = {
      k: configuredNumber(def.topK),
      minScore: configuredNumber(def.minScore),
      weights: definedFields({
        similarity: configuredNumber(def.similarityWeight),
        recency: configuredNumber(def.recencyWeight),
        importance: configuredNumber(def.importanceWeight),
      }),
      halfLifeDays: configuredNumber(def.halfLifeDays),
      mergeAbove: configuredNumber(def.mergeAbove),
      contradictionAbove: configuredNumber(def.contradictionAbove),
    };
    handleMessages(RED, this, RED._('dynamodb-memory-recall.status.working'), async (msg: RecallMsg): Promise<WorkResult> => {
      const operation = parseMemoryOperation(msg.operation ?? def.operation);
      const [userId, sessionId] = await Promise.all([
        evaluateUser(RED, this, msg, def),
        def.scope === 'session' ? evaluateOptional(RED, this, msg, { value: def.sessionId, type: def.sessionIdType }) : undefined,
      ]);
      const scope = definedFields({ scope: def.scope, userId, sessionId, namespace: def.scope === 'named' && def.namespace !== '' ? def.namespace : undefined });
      // Every request is parsed before the connection is even looked up: bad input writes nothing.
      const memories = () => memoryFor(RED, def.memory).then((memory) => memory.memories);
      switch (operation) {
        case 'remember': {
          const request = parseRememberRequest(
            definedFields({
              ...scope,
              records: recordsOf(msg.payload, msg.embedding),
              embedder: msg.embedder,
              mergeAbove: configured.mergeAbove,
              contradictionAbove: configured.contradictionAbove,
              onContradiction: msg.onContradiction ?? def.onContradiction,
            }),
          );
          const { records: stored, contradicted } = await (await memories()).rememberForReview(request);
          msg.payload = Array.isArray(msg.payload) ? stored : stored[0];
          const flagged = stored.filter((record) => record.contradicts !== undefined);
          const merged = stored.filter((record) => record.outcome === 'merged').length;
          const counts = { count: stored.length, merged, flagged: flagged.length };
          const status = merged + flagged.length === 0 ? RED._('dynamodb-memory-recall.status.remembered', counts) : RED._('dynamodb-memory-recall.status.tidied', counts);
          if (flagged.length === 0) return { status, outputs: [msg, null] };
          // Output 2, for review: the records that may contradict others (or superseded them), and those others.
          const review = RED.util.cloneMessage(msg);
          review.payload = { records: flagged, contradicted };
          return { status, outputs: [msg, review] };
        }
        case 'recall': {
          const request = parseRecallRequest(
            definedFields({
              ...scope,
              query: msg.payload,
              embedding: msg.embedding,
              embedder: msg.embedder,
              k: msg.k ?? configured.k,
              minScore: msg.minScore ?? configured.minScore,
              weights: configured.weights,
              halfLifeDays: configured.halfLifeDays,
              kind: msg.kind,
              metadata: msg.metadata,
              validAt: msg.validAt,
            }),
          );
          const { memories: found, accessRecorded, ...how } = await (await memories()).recall(request);
          msg.payload = found;
          msg.recall = how;
          // The msg goes on first: the access counts are written while the flow answers.
          return { status: RED._('dynamodb-memory-recall.status.recalled', { count: found.length }), afterSend: accessRecorded };
        }
        case 'get': {
          const request = parseMemoryIdRequest(definedFields({ ...scope, id: memoryIdOf(msg) }));
          msg.payload = await (await memories()).get(request);
          return RED._('dynamodb-memory-recall.status.got');
        }
        case 'update': {
          const fields: Record<string, unknown> = typeof msg.payload === 'string' ? { text: msg.payload } : isObject(msg.payload) ? { ...msg.payload } : {};
          // Whose record it is comes from the node and msg.userId, never from the payload.
          for (const name of ['id', 'scope', 'userId', 'sessionId', 'namespace']) delete fields[name];
          const request = parseUpdateMemoryRequest(
            definedFields({ ...fields, ...scope, id: memoryIdOf(msg), embedding: msg.embedding, embedder: msg.embedder }),
          );
          msg.payload = await (await memories()).update(request);
          return RED._('dynamodb-memory-recall.status.updated');
        }
        case 'forget': {
          const request = parseMemoryIdRequest(definedFields({ ...scope, id: memoryIdOf(msg) }));
          msg.payload = await (await memories()).forget(request);
          return RED._('dynamodb-memory-recall.status.forgot');
        }
        case 'list':
        case 'history': {
          const page = definedFields({ ...scope, limit: msg.limit, cursor: msg.cursor });
          let result: { items: unknown[]; cursor?: string };
          if (operation === 'list') {
            const request = parseListMemoryRequest(page);
            result = await (await memories()).list(request);
          } else {
            const request = parseMemoryHistoryRequest(definedFields({ ...page, id: msg.memoryId }));
            result = await (await memories()).history(request);
          }
          msg.payload = result.items;
          if (result.cursor === undefined) delete msg.cursor;
          else msg.cursor = result.cursor;
          const count = { count: result.items.length };
          return operation === 'list' ? RED._('dynamodb-memory-recall.status.listed', count) : RED._('dynamodb-memory-recall.status.history', count);
        }
      }
    }, connectionOf(RED, def.memory));
  }
  RED.nodes.registerType('dynamodb-memory-recall', DynamoDBMemoryRecall);
};
