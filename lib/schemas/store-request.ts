/** What the store-message node (and `ChatMemory.store`) accepts: the node's msg contract. */
import * as field from './fields';
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
export const parseStoreRequest = parser(storeRequestSchema);
