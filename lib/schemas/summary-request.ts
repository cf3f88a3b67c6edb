/**
 * A session summary to store (`ChatMemory.storeSummary`, or the store node with role `summary`): the
 * text, and the message it covers up to, as the context node's summary output hands it out.
 */
import * as field from './fields';
import { replyMessage } from './model-reply';
import { parser, type FromSchema } from './validator';

export const summaryRequestSchema = {
  type: 'object',
  required: ['sessionId', 'summary', 'covers'],
  additionalProperties: false,
  properties: {
    sessionId: field.id,
    userId: field.id,
    summary: { type: 'string', minLength: 1, maxLength: 100000, errorText: 'input.summary-text' },
    /** The ULID (sort key) of the newest message the summary covers: `msg.covers` of the summary output. */
    covers: field.ulid,
  },
} as const;

export type SummaryRequest = FromSchema<typeof summaryRequestSchema>;
const parseSummaryFields = parser(summaryRequestSchema);

/**
 * The request, typed, or a MemoryInputError. A summary may come as the model's reply to the
 * summarising request, as the service sent it (model-reply.ts): its text is the summary.
 */
export function parseSummaryRequest(input: unknown): SummaryRequest {
  const fields = input as { summary?: unknown } | null;
  const reply = typeof fields === 'object' && fields !== null ? replyMessage(fields.summary) : undefined;
  return parseSummaryFields(reply === undefined ? input : { ...fields, summary: typeof reply.content === 'string' ? reply.content : '' });
}
