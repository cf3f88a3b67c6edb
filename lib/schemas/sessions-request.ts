/** What listing a user's sessions (the history node's "sessions" mode, `ChatMemory.listSessions`) accepts. */
import * as field from './fields';
import { parser, type FromSchema } from './validator';

export const sessionsRequestSchema = {
  type: 'object',
  required: ['userId'],
  additionalProperties: false,
  properties: {
    userId: field.id,
    limit: { type: 'integer', minimum: 1, maximum: 1000, errorText: 'input.whole-number' },
    cursor: { type: 'string', minLength: 1, maxLength: 4096, errorText: 'input.listing-cursor' },
  },
} as const;

export type SessionsRequest = FromSchema<typeof sessionsRequestSchema>;
export const parseSessionsRequest = parser(sessionsRequestSchema);
