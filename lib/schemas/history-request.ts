/** What the load-history node (and `ChatMemory.history`) accepts. */
import * as field from './fields';
import { parser, type FromSchema } from './validator';

export const historyFormats = ['messages', 'records', 'transcript'] as const;

export const historyRequestSchema = {
  type: 'object',
  required: ['sessionId'],
  additionalProperties: false,
  properties: {
    sessionId: field.id,
    userId: field.id,
    /** The newest N messages (default 20). */
    limit: { type: 'integer', minimum: 1, maximum: 10000, errorText: 'input.whole-number' },
    since: field.instant,
    until: field.instant,
    /** Keep only the newest messages whose content fits this many tokens (o200k_base). */
    tokenBudget: { type: 'integer', minimum: 1, errorText: 'input.token-count' },
  },
} as const;

export type HistoryRequest = FromSchema<typeof historyRequestSchema>;
export const parseHistoryRequest = parser(historyRequestSchema);
