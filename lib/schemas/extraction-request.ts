/**
 * The extraction loop's requests (../memory/extraction.ts): asking whether a session's messages
 * are due for extraction, and applying a model's answer. The answer's JSON schema is written once,
 * here: the request body hands it to the model as `response_format.json_schema.schema` (without the
 * pack's own `errorText` keyword) and the apply step validates the answer with it, so what the model
 * was asked for and what is accepted cannot drift apart.
 *
 * The schema keeps to what OpenAI's strict structured outputs accept (every property required and
 * listed, `additionalProperties: false`, optional values as `null`, no string lengths): a text's
 * length is checked after the schema, by the apply step.
 */
import * as field from './fields';
import { embedding, kind, memoryScopes } from './memory-request';
import { parser, type FromSchema } from './validator';

/** Operations one answer may hold: each UPDATE is 6 transaction items, and one apply is one transaction. */
export const maxExtractionOperations = 16;
/** Messages one extraction covers at most. */
export const maxExtractionMessages = 50;
/** The forms a request for the model takes: each service's own way of asking for JSON in a schema. */
export const extractionFormats = ['openai', 'anthropic'] as const;
export type ExtractionFormat = (typeof extractionFormats)[number];
/** Due after this many new messages, when a node does not say (five turns of a chat). */
export const defaultExtractionEvery = 10;
/** The scope's memories most similar to the messages that go to the model, when a request does not say. */
export const defaultExtractionSimilar = 10;

const op = <const Name extends string>(name: Name) => ({ type: 'string', enum: [name], errorText: 'input.extraction-operation' }) as const;
const memoryText = { type: 'string', errorText: 'input.extraction-text' } as const;
const recordId = { type: 'string', pattern: '^[0-9A-HJKMNP-TV-Z]{26}$', errorText: 'input.memory-id' } as const;
const operationObject = { type: 'object', additionalProperties: false, errorText: 'input.extraction-operation' } as const;

/** What the model answers: `{ operations: [...] }`, the root an object as strict mode wants. */
export const extractionAnswerSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['operations'],
  properties: {
    operations: {
      type: 'array',
      maxItems: maxExtractionOperations,
      errorText: 'input.extraction-operations',
      items: {
        anyOf: [
          {
            ...operationObject,
            required: ['op', 'text', 'kind', 'importance'],
            properties: {
              op: op('ADD'),
              text: memoryText,
              kind: { type: ['string', 'null'], pattern: '^[^#\\u0000-\\u001f\\u007f]{1,64}$', errorText: 'input.extraction-kind' },
              importance: { type: ['integer', 'null'], minimum: 1, maximum: 10, errorText: 'input.whole-number' },
            },
          },
          { ...operationObject, required: ['op', 'id', 'text'], properties: { op: op('UPDATE'), id: recordId, text: memoryText } },
          { ...operationObject, required: ['op', 'id'], properties: { op: op('DELETE'), id: recordId } },
          { ...operationObject, required: ['op'], properties: { op: op('NONE') } },
        ],
      },
    },
  },
} as const;

export type ExtractionAnswer = FromSchema<typeof extractionAnswerSchema>;
export type ExtractionOperation = ExtractionAnswer['operations'][number];

export const parseExtractionAnswer = parser(extractionAnswerSchema);

/** The answer's schema as the model gets it: without the pack's own keywords. */
export function modelSchema(schema: unknown = extractionAnswerSchema): unknown {
  if (Array.isArray(schema)) return schema.map((part) => modelSchema(part));
  if (schema === null || typeof schema !== 'object') return schema;
  return Object.fromEntries(Object.entries(schema).filter(([name]) => name !== 'errorText' && name !== 'jsonSafe').map(([name, value]) => [name, modelSchema(value)]));
}

/** The scope extracted memories go to: the session's user (default) or the session itself. */
const extractionScope = { type: 'string', enum: memoryScopes.filter((scope) => scope !== 'named'), errorText: 'input.one-of' } as const;

export const extractionDueRequestSchema = {
  type: 'object',
  required: ['sessionId', 'every'],
  additionalProperties: false,
  properties: {
    sessionId: field.id,
    userId: field.id,
    scope: extractionScope,
    /** Due once this many messages after the watermark are stored. */
    every: { type: 'integer', minimum: 1, maximum: maxExtractionMessages, errorText: 'input.message-count' },
    /** Due with at least one new message (msg.operation on demand). */
    force: { type: 'boolean', errorText: 'input.invalid' },
    /** How many of the scope's memories most similar to the messages go to the model (default: defaultExtractionSimilar). */
    similar: { type: 'integer', minimum: 0, maximum: 50, errorText: 'input.whole-number' },
    /** The query's vector from the flow's embedder (the newest message's, say); else the built-in one of the messages' text. */
    embedding,
    /** Who made `embedding` (`external` when not named). */
    embedder: kind,
    /** The request body's form: OpenAI chat completions (default) or Anthropic Messages. */
    format: { type: 'string', enum: extractionFormats, errorText: 'input.one-of' },
  },
} as const;

/** The watermark a due extraction handed out: the previous one's message (none the first time) and the newest covered. */
const watermark = {
  type: 'object',
  required: ['to'],
  additionalProperties: false,
  properties: { from: { anyOf: [field.ulid, { type: 'null' }], errorText: 'input.ulid' }, to: field.ulid },
  errorText: 'input.extraction-watermark',
} as const;

export const extractionApplyRequestSchema = {
  type: 'object',
  required: ['sessionId', 'watermark', 'answer'],
  additionalProperties: false,
  properties: {
    sessionId: field.id,
    userId: field.id,
    scope: extractionScope,
    watermark,
    /** The model's answer: its chat-completion (or other) response, its message, a JSON string, or the parsed JSON. */
    answer: {},
    /**
     * One vector from the flow's embedder per text the answer writes (each ADD's and UPDATE's, in
     * order: extractionTexts), so the new records match the scope's others; else the built-in ones.
     */
    embeddings: { type: 'array', maxItems: maxExtractionOperations, items: embedding, errorText: 'input.array' },
    /** Who made `embeddings` (`external` when not named). */
    embedder: kind,
  },
} as const;

export type ExtractionDueRequest = FromSchema<typeof extractionDueRequestSchema>;
export type ExtractionApplyRequest = FromSchema<typeof extractionApplyRequestSchema>;
export const parseExtractionDueRequest = parser(extractionDueRequestSchema);
export const parseExtractionApplyRequest = parser(extractionApplyRequestSchema);

/** What a msg asks of the extract node without an answer: `check` (due after the node's count) or `extract` (now, with one new message). */
export const parseExtractOperation = parser({
  type: 'object',
  properties: { operation: { type: 'string', enum: ['check', 'extract'], errorText: 'input.one-of' } },
} as const);
