/** What the context node (and `ChatMemory.context`) accepts. */
import * as field from './fields';
import { embedding, kind } from './memory-request';
import { parser, type FromSchema } from './validator';

export const contextFormats = ['openai', 'anthropic', 'ollama', 'text'] as const;

const share = { type: 'number', minimum: 0, maximum: 100, errorText: 'input.percentage' } as const;

export const contextRequestSchema = {
  type: 'object',
  required: ['sessionId', 'payload', 'tokenBudget'],
  additionalProperties: false,
  properties: {
    sessionId: field.id,
    userId: field.id,
    /** The new user message: text or content parts. It is not stored. */
    payload: { ...field.content, type: ['string', 'array', 'object'], errorText: 'input.user-message' },
    /** The whole context, new message included, is at most this many tokens. */
    tokenBudget: { type: 'integer', minimum: 16, maximum: 10000000, errorText: 'input.token-budget' },
    /**
     * Each section's share of the budget left after the new message, in percent (they add up to at
     * most 100; `memories` counts only when the template has {{memories}}, `working` only with {{working}}).
     */
    shares: {
      type: 'object',
      additionalProperties: false,
      properties: { system: share, preferences: share, facts: share, summary: share, history: share, memories: share, working: share },
      errorText: 'input.shares',
    },
    encoding: { type: 'string', enum: ['o200k_base', 'cl100k_base'], errorText: 'input.one-of' },
    format: { type: 'string', enum: contextFormats, errorText: 'input.one-of' },
    /** The model the request is for: `model` in the request body (for text, the node sets msg.model). */
    model: { type: 'string', minLength: 1, maxLength: 256, errorText: 'input.model' },
    /** The system prompt, with {{preferences}}, {{facts}}, {{summary}}, {{memories}} and {{working}} (the session's working memory) placeholders. */
    template: { type: 'string', maxLength: 100000, errorText: 'input.string' },
    /**
     * The new message's vector for recalling {{memories}} (msg.embedding, from the embedder the
     * user's memories were stored with); none: the built-in embedder's of its text.
     */
    embedding,
    /** Who made `embedding` (msg.embedder; `external` when not named), as the memories were remembered with. */
    embedder: kind,
    /** Send the summary output when at least this many messages are not covered by the summary. */
    summaryThreshold: { type: 'integer', minimum: 1, maximum: 10000, errorText: 'input.message-count' },
  },
} as const;

export type ContextRequest = FromSchema<typeof contextRequestSchema>;
export const parseContextRequest = parser(contextRequestSchema);

export const statsRequestSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { sessionId: field.id, userId: field.id },
} as const;

export type StatsRequest = FromSchema<typeof statsRequestSchema>;
export const parseStatsRequest = parser(statsRequestSchema);
