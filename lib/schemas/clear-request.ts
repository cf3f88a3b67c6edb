/** What the clear-session node (and `ChatMemory.clearSession`) accepts. */
import * as field from './fields';
import { parser, type FromSchema } from './validator';

export const clearRequestSchema = {
  type: 'object',
  required: ['sessionId'],
  additionalProperties: false,
  properties: { sessionId: field.id, userId: field.id },
} as const;

export type ClearRequest = FromSchema<typeof clearRequestSchema>;
export const parseClearRequest = parser(clearRequestSchema);
