/**
 * Field schemas shared by the request schemas. Each `errorText` names the error a flow builder
 * reads when the field is wrong (input-texts.ts), so it says what is expected.
 */

import { forbiddenKeyNames } from './json-safety';

/**
 * Ids become parts of DynamoDB keys, where `#` separates key parts. An unpaired surrogate has no
 * UTF-8 form: DynamoDB Local takes `a\udc00` and `a\udc01` for the same key, so two users could
 * share a partition. (ajv matches patterns with the u flag, so a surrogate pair is one character.)
 */
export const id = {
  type: 'string',
  minLength: 1,
  maxLength: 256,
  pattern: '^[^#\\u0000-\\u001f\\u007f\\ud800-\\udfff]+$',
  errorText: 'input.id',
} as const;

/**
 * A preference key is an id (it is part of the item's sort key) that is also a property name of
 * msg.preferences, so it can never be one that reaches an object's prototype.
 */
export const preferenceKey = {
  ...id,
  not: { enum: forbiddenKeyNames },
  errorText: 'input.preference-key',
} as const;

/** Any JSON value DynamoDB can store as it is: text, number, boolean, null, array or object. */
export const jsonValue = {
  jsonSafe: true,
  errorText: 'input.json-value',
} as const;

export const role = {
  type: 'string',
  enum: ['user', 'assistant', 'system', 'tool'],
  errorText: 'input.one-of',
} as const;

/**
 * What a chat API takes as content: text, an array of parts, an object, or null (an assistant
 * message that only calls tools).
 */
export const content = {
  type: ['string', 'array', 'object', 'null'],
  jsonSafe: true,
  errorText: 'input.content',
} as const;

/** OpenAI's tool calls on an assistant message, kept as they are. */
export const toolCalls = { type: 'array', jsonSafe: true, errorText: 'input.array' } as const;

export const name = { type: 'string', maxLength: 256, errorText: 'input.string' } as const;

export const metadata = {
  type: 'object',
  jsonSafe: true,
  errorText: 'input.object',
} as const;

export const ttlDays = {
  type: 'number',
  exclusiveMinimum: 0,
  maximum: 36500,
  errorText: 'input.ttl-days',
} as const;

/** A point in time: an ISO 8601 string or epoch milliseconds. */
export const instant = {
  anyOf: [
    { type: 'string', format: 'instant' },
    { type: 'number', minimum: 0 },
  ],
  errorText: 'input.instant',
} as const;

/** A message's ULID (its sort key without `MSG#`), as the context node's summary output gives it. */
export const ulid = {
  type: 'string',
  pattern: '^[0-9A-HJKMNP-TV-Z]{26}$',
  errorText: 'input.ulid',
} as const;
