/**
 * A session summary to store (`ChatMemory.storeSummary`, or the store node with role `summary`): the
 * text, and the message it covers up to, as the context node's summary output hands it out.
 */
import * as field from './fields';
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
export const parseSummaryRequest = parser(summaryRequestSchema);
