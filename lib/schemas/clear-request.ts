/** What the clear node accepts: one session (`ChatMemory.clearSession`), or a whole user (`forgetUser`). */
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

export const forgetRequestSchema = {
  type: 'object',
  required: ['userId'],
  additionalProperties: false,
  properties: { userId: field.id },
} as const;

export type ForgetRequest = FromSchema<typeof forgetRequestSchema>;
export const parseForgetRequest = parser(forgetRequestSchema);
