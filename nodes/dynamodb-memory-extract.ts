/**
 * Node `dynamodb-memory-extract` ("extract memories"): the extraction loop (lib/memory/extraction.ts)
 * as one node a flow wires a model to and back. A msg about a session asks whether its new messages
 * are due; when they are, output 1 sends the model's request, in OpenAI's or Anthropic's form
 * (msg.extraction says what it covers).
 * The model's answer, coming back with msg.extraction, is applied (output 3); with the flow's
 * embeddings, the answer's texts first go out on output 2 to be embedded, and the vectors coming back
 * are applied with it. The msg contract is in the help text (locales/en-US/dynamodb-memory-extract.html).
 */
import type { Node, NodeAPI, NodeMessage } from 'node-red';
import { embeddingVectors } from '../lib/schemas/embeddings-reply';
import { MemoryInputError } from '../lib/errors/input-errors';
import {
  defaultExtractionEvery,
  parseExtractionApplyRequest, parseExtractionDueRequest, parseExtractOperation,
} from '../lib/schemas/extraction-request';
import { extractionOperations, extractionTexts, type ExtractionResult } from '../lib/memory/extraction';
import { handleMessages, type WorkResult } from '../lib/node-red/input-handler';
import { connectionOf, evaluateUser, memoryFor, type MemoryNodeDef } from '../lib/node-red/memory-config';
import { withDefaults } from '../lib/node-red/node-defaults';
import { configuredNumber, definedFields, evaluateOptional } from '../lib/node-red/typed-property';

interface ExtractDef extends MemoryNodeDef {
  sessionId: string;
  sessionIdType: string;
  scope: string;
  every: string;
  similar: string;
  /** 'openai' or 'anthropic': the form of the model's request. */
  format: string;
  /** Blank: the request names no model (msg.model wins). */
  model: string;
  /** 'builtin': the built-in embedder; 'flow': the answer's texts go out on output 2 to be embedded. */
  embeddings: string;
}

/** What output 1 put on the msg, and the node reads back with the answer. */
interface ExtractionState {
  watermark?: unknown;
  /** With the flow's embeddings: the answer's operations, waiting for their texts' vectors. */
  operations?: unknown;
  embedder?: unknown;
  [name: string]: unknown;
}

type ExtractMsg = NodeMessage & { operation?: unknown; model?: unknown; embedding?: unknown; embedder?: unknown; extraction?: ExtractionState };

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function appliedStatus(RED: NodeAPI, result: ExtractionResult): string {
  if (!result.applied) {
    return result.reason === 'already-applied' ? RED._('dynamodb-memory-extract.status.already-applied') : RED._('dynamodb-memory-extract.status.watermark-moved');
  }
  return RED._('dynamodb-memory-extract.status.applied', { added: result.added.length, updated: result.updated.length, deleted: result.deleted.length });
}

export = function register(RED: NodeAPI): void {
  function DynamoDBMemoryExtract(this: Node, deployed: ExtractDef) {
    const def = withDefaults('dynamodb-memory-extract', deployed);
    RED.nodes.createNode(this, def);
    const configured = { every: configuredNumber(def.every), similar: configuredNumber(def.similar) };
    handleMessages(RED, this, RED._('dynamodb-memory-extract.status.working'), async (msg: ExtractMsg): Promise<WorkResult> => {
      const [sessionId, userId] = await Promise.all([
        evaluateOptional(RED, this, msg, { value: def.sessionId, type: def.sessionIdType }),
        evaluateUser(RED, this, msg, def),
      ]);
      const target = definedFields({ sessionId, userId, scope: def.scope });
      const state = isObject(msg.extraction) && msg.extraction['watermark'] !== undefined ? msg.extraction : undefined;
      const memory = () => memoryFor(RED, def.memory);

      if (state === undefined) {
        const { operation } = parseExtractOperation(definedFields({ operation: msg.operation }));
        const request = parseExtractionDueRequest(
          definedFields({
            ...target,
            every: configured.every ?? defaultExtractionEvery,
            force: operation === 'extract' ? true : undefined,
            similar: configured.similar,
            embedding: msg.embedding,
            embedder: msg.embedder,
            format: def.format,
          }),
        );
        // The vectors of the answer's texts must be of the embedder the scope's memories are found by.
        if (def.embeddings === 'flow' && request.embedder === undefined) throw new MemoryInputError('input.extraction-embedder');
        const due = await (await memory()).extraction.due(request);
        if (!due.due) return { status: RED._('dynamodb-memory-extract.status.notDue', { pending: due.pending, every: request.every }), outputs: [null, null, null] };
        const model = msg.model ?? (def.model || undefined);
        msg.payload = { ...(typeof model === 'string' ? { model } : {}), ...due.request };
        msg.extraction = definedFields({
          watermark: due.watermark,
          pending: due.pending,
          messages: due.messages,
          memories: due.memories,
          embedder: def.embeddings === 'flow' ? request.embedder : undefined,
        });
        return { status: RED._('dynamodb-memory-extract.status.due', { count: due.messages.length }), outputs: [msg, null, null] };
      }

      // The model's answer (or, with the flow's embeddings, the vectors of the answer's texts).
      // Operations kept on the msg are checked again like any answer: the msg came back through the flow.
      const waiting = state.operations !== undefined && state.operations !== null;
      const operations = extractionOperations(waiting ? { operations: state.operations } : msg.payload);
      const texts = extractionTexts(operations);
      if (!waiting && def.embeddings === 'flow' && texts.length > 0) {
        msg.extraction = { ...state, operations };
        msg.payload = definedFields({ model: state.embedder, input: texts });
        return { status: RED._('dynamodb-memory-extract.status.embedding', { count: texts.length }), outputs: [null, msg, null] };
      }
      const request = parseExtractionApplyRequest(
        definedFields({
          ...target,
          watermark: state.watermark,
          answer: { operations },
          embeddings: waiting ? embeddingVectors(msg.payload) : undefined,
          embedder: waiting ? state.embedder : undefined,
        }),
      );
      const result = await (await memory()).extraction.apply(request);
      msg.payload = result;
      // Applied: what comes after this node may send the msg anywhere, even back here, as a new one.
      delete msg.extraction;
      return { status: appliedStatus(RED, result), outputs: [null, null, msg] };
    }, connectionOf(RED, def.memory));
  }
  RED.nodes.registerType('dynamodb-memory-extract', DynamoDBMemoryExtract);
};
