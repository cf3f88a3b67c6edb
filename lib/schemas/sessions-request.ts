/** What listing a user's sessions (the history node's "sessions" mode, `ChatMemory.listSessions`) accepts. */
import * as field from './fields';
import { parser, type FromSchema } from './validator';

export const sessionsRequestSchema = {
  type: 'object',
  required: ['userId'],
  additionalProperties: false,
  properties: {
    userId: field.id,
    limit: { type: 'integer', minimum: 1, maximum: 1000, description: 'must be a whole number from 1 to 1000' },
    cursor: { type: 'string', minLength: 1, maxLength: 4096, description: 'must be the cursor a previous listing returned' },
  },
} as const;

export type SessionsRequest = FromSchema<typeof sessionsRequestSchema>;
export const parseSessionsRequest = parser(sessionsRequestSchema);
