/** What the store-message node (and `ChatMemory.store`) accepts: the node's msg contract. */
import * as field from './fields';
import { replyMessage } from './model-reply';
import { parser, type FromSchema } from './validator';

const message = {
  type: 'object',
  required: ['content'],
  properties: {
    role: field.role,
    content: field.content,
    metadata: field.metadata,
    messageId: field.id,
    name: field.name,
    tool_calls: field.toolCalls,
    tool_call_id: field.id,
  },
  errorText: 'input.payload',
} as const;

export const storeRequestSchema = {
  type: 'object',
  required: ['sessionId', 'role', 'payload'],
  additionalProperties: false,
  properties: {
    sessionId: field.id,
    userId: field.id,
    /** The role of a payload that does not name its own. */
    role: field.role,
    /** Metadata of a payload that does not carry its own. */
    metadata: field.metadata,
    /** Idempotency key; for an array, item i without its own id gets `<messageId>-<i>`. */
    messageId: field.id,
    ttlDays: field.ttlDays,
    payload: {
      anyOf: [
        { type: 'string' },
        message,
        { type: 'array', minItems: 1, maxItems: 10000, items: { anyOf: [{ type: 'string' }, message], errorText: 'input.message' } },
      ],
      errorText: 'input.payload',
    },
  },
} as const;

export type StoreRequest = FromSchema<typeof storeRequestSchema>;
const parseStoreFields = parser(storeRequestSchema);

/**
 * The request, typed, or a MemoryInputError. A payload that is a model reply as a service sends it
 * (model-reply.ts) is stored as the assistant message in it, with the model and token usage in
 * its metadata beside `metadata` (whose keys win: the flow set them on purpose).
 */
export function parseStoreRequest(input: unknown): StoreRequest {
  const fields = input as { payload?: unknown; metadata?: unknown } | null;
  const reply = typeof fields === 'object' && fields !== null ? replyMessage(fields.payload) : undefined;
  if (reply === undefined) return parseStoreFields(input);
  const extra = typeof fields!.metadata === 'object' && fields!.metadata !== null ? fields!.metadata : {};
  return parseStoreFields({ ...fields, payload: { ...reply, metadata: { ...reply.metadata, ...extra } } });
}
