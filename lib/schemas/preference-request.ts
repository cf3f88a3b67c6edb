/**
 * What the preference node (and `ChatMemory.preferences`) accepts. The operation is parsed first,
 * then the request with the schema of that operation, so an error names the one field that is wrong.
 */
import * as field from './fields';
import { parser, type FromSchema } from './validator';

export const preferenceOperations = ['get', 'set', 'merge', 'delete', 'history'] as const;

export const preferenceOperationSchema = {
  type: 'string',
  enum: preferenceOperations,
  errorText: 'input.one-of',
} as const;

/** get and delete: one key, or every key of the user when there is none. */
export const preferenceKeyRequestSchema = {
  type: 'object',
  required: ['userId'],
  additionalProperties: false,
  properties: { userId: field.id, key: field.preferenceKey },
} as const;

export const preferenceSetRequestSchema = {
  type: 'object',
  required: ['userId', 'key', 'value'],
  additionalProperties: false,
  properties: { userId: field.id, key: field.preferenceKey, value: field.jsonValue },
} as const;

export const preferenceMergeRequestSchema = {
  type: 'object',
  required: ['userId', 'values'],
  additionalProperties: false,
  properties: {
    userId: field.id,
    /** Preference key → value; each key is set on its own. */
    values: {
      type: 'object',
      minProperties: 1,
      propertyNames: { ...field.preferenceKey, errorText: 'input.preference-key-name' },
      additionalProperties: field.jsonValue,
      errorText: 'input.preference-values',
    },
  },
} as const;

export const preferenceHistoryRequestSchema = {
  type: 'object',
  required: ['userId'],
  additionalProperties: false,
  properties: {
    userId: field.id,
    /** Only the changes of this key. */
    key: field.preferenceKey,
    /** The newest N changes (default 20). */
    limit: { type: 'integer', minimum: 1, maximum: 1000, errorText: 'input.whole-number' },
  },
} as const;

export type PreferenceOperation = FromSchema<typeof preferenceOperationSchema>;
export type PreferenceKeyRequest = FromSchema<typeof preferenceKeyRequestSchema>;
export type PreferenceSetRequest = FromSchema<typeof preferenceSetRequestSchema>;
export type PreferenceMergeRequest = FromSchema<typeof preferenceMergeRequestSchema>;
export type PreferenceHistoryRequest = FromSchema<typeof preferenceHistoryRequestSchema>;

const parseOperation = parser({
  type: 'object',
  required: ['operation'],
  properties: { operation: preferenceOperationSchema },
} as const);
export const parsePreferenceKeyRequest = parser(preferenceKeyRequestSchema);
export const parsePreferenceSetRequest = parser(preferenceSetRequestSchema);
export const parsePreferenceMergeRequest = parser(preferenceMergeRequestSchema);
export const parsePreferenceHistoryRequest = parser(preferenceHistoryRequestSchema);

/** The operation, or a MemoryInputError naming `operation` ("operation is required" when missing). */
export function parsePreferenceOperation(operation: unknown): PreferenceOperation {
  return parseOperation(operation === undefined ? {} : { operation }).operation as PreferenceOperation;
}
