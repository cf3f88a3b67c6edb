/**
 * What the memories node (`dynamodb-memory-recall`, and `ChatMemory.memories`) accepts: a scope
 * (a user's memory, a session's, or a named namespace shared by flows) and, per operation, what the
 * node reads from msg. The operation is parsed first, then the request with its own schema, so an
 * error names the one field that is wrong. Embeddings are checked further by
 * ../memory/embedding.ts `parseEmbedding` (length, finite float32 numbers, not all 0).
 */
import * as field from './fields';
import { parser, type FromSchema } from './validator';

export const memoryOperations = ['remember', 'recall', 'get', 'update', 'forget', 'list', 'history'] as const;
export type MemoryOperation = (typeof memoryOperations)[number];

export const contradictionHandling = ['flag', 'supersede'] as const;

export const memoryScopes = ['user', 'session', 'named'] as const;
export type MemoryScopeKind = (typeof memoryScopes)[number];

const memoryOperationSchema = {
  type: 'object',
  required: ['operation'],
  properties: { operation: { type: 'string', enum: memoryOperations, errorText: 'input.one-of' } },
} as const;

/**
 * Whose memory: `user` needs userId; `session` needs sessionId (and checks its owner when a userId
 * is given, as history does); `named` needs namespace and is nobody's (no user's erasure deletes it).
 * Which id a scope needs is checked where the scope is made (memory-scope.ts `memoryScope`).
 */
export const scopeProperties = {
  scope: { type: 'string', enum: memoryScopes, errorText: 'input.one-of' },
  userId: field.id,
  sessionId: field.id,
  namespace: field.id,
} as const;

/** A record's text: what is remembered, and what the built-in embedder reads. */
export const text = { type: 'string', minLength: 1, maxLength: 32768, errorText: 'input.memory-text' } as const;
/** fact, preference, event, … : free, but an id (it is filtered on, and an inline filter on AWS). */
export const kind = { ...field.id, maxLength: 64 } as const;
export const importance = { type: 'integer', minimum: 1, maximum: 10, errorText: 'input.whole-number' } as const;
export const recordId = { type: 'string', pattern: '^[0-9A-HJKMNP-TV-Z]{26}$', errorText: 'input.memory-id' } as const;
/** Numbers as msg.embedding gives them; embedding.ts checks the rest. */
export const embedding = { type: 'array', errorText: 'input.array' } as const;
export const limit = { type: 'integer', minimum: 1, maximum: 1000, errorText: 'input.whole-number' } as const;
const cursor = { type: 'string', minLength: 1, maxLength: 4096, errorText: 'input.page-cursor' } as const;
const fraction = { type: 'number', minimum: 0, maximum: 1, errorText: 'input.fraction' } as const;

/** One record to remember. */
export const newMemorySchema = {
  type: 'object',
  required: ['text'],
  additionalProperties: false,
  properties: {
    text,
    kind,
    /** 1 (trivia) to 10 (must never be forgotten); 5 when not given. */
    importance,
    metadata: field.metadata,
    /** The ids of the messages it was drawn from. */
    sourceMessageIds: { type: 'array', maxItems: 100, items: field.id, errorText: 'input.array' },
    validFrom: field.instant,
    validTo: field.instant,
    ttlDays: field.ttlDays,
    embedding,
  },
} as const;

export const rememberRequestSchema = {
  type: 'object',
  required: ['scope', 'records'],
  additionalProperties: false,
  properties: {
    ...scopeProperties,
    records: { type: 'array', minItems: 1, maxItems: 100, items: newMemorySchema, errorText: 'input.memory-records' },
    /** Who made the embeddings given with the records (`external` when not named). */
    embedder: kind,
    /**
     * Merge a record into the most similar valid record of the same kind and embedder in the scope
     * when their similarity is at least this (0 to 1), instead of adding a copy (memory-tidy.ts).
     */
    mergeAbove: fraction,
    /**
     * Flag a record that may contradict a valid record of the same kind: similarity at least this
     * (and below mergeAbove) while each text has content words the other lacks (memory-tidy.ts).
     */
    contradictionAbove: fraction,
    /**
     * What a possible contradiction does: `flag` (default) adds the record and names the ones it may
     * contradict; `supersede` ends those (validTo) in the transaction that adds it.
     */
    onContradiction: { type: 'string', enum: contradictionHandling, errorText: 'input.one-of' },
  },
} as const;

export const recallRequestSchema = {
  type: 'object',
  required: ['scope', 'query'],
  additionalProperties: false,
  properties: {
    ...scopeProperties,
    query: text,
    embedding,
    embedder: kind,
    /** How many records at most (default 5; AWS's vector index returns at most 100). */
    k: { type: 'integer', minimum: 1, maximum: 100, errorText: 'input.whole-number' },
    /** Leave out records scoring below this (0 to 1). */
    minScore: fraction,
    /** How much similarity, recency and importance weigh (normalised to sum 1). */
    weights: {
      type: 'object',
      additionalProperties: false,
      properties: { similarity: fraction, recency: fraction, importance: fraction },
      errorText: 'input.memory-weights',
    },
    halfLifeDays: { type: 'number', exclusiveMinimum: 0, maximum: 36500, errorText: 'input.ttl-days' },
    /** Only records of this kind. */
    kind,
    /** Only records whose metadata has each of these top-level values. */
    metadata: field.metadata,
    /** Only records valid at this time (default: now). */
    validAt: field.instant,
  },
} as const;

export const memoryIdRequestSchema = {
  type: 'object',
  required: ['scope', 'id'],
  additionalProperties: false,
  properties: { ...scopeProperties, id: recordId },
} as const;

export const updateMemoryRequestSchema = {
  type: 'object',
  required: ['scope', 'id'],
  additionalProperties: false,
  properties: {
    ...scopeProperties,
    id: recordId,
    text,
    kind,
    importance,
    metadata: field.metadata,
    validFrom: field.instant,
    validTo: field.instant,
    embedding,
    embedder: kind,
  },
} as const;

export const listMemoryRequestSchema = {
  type: 'object',
  required: ['scope'],
  additionalProperties: false,
  properties: { ...scopeProperties, limit, cursor },
} as const;

export const memoryHistoryRequestSchema = {
  type: 'object',
  required: ['scope'],
  additionalProperties: false,
  properties: { ...scopeProperties, id: recordId, limit, cursor },
} as const;

export type NewMemory = FromSchema<typeof newMemorySchema>;
export type RememberRequest = FromSchema<typeof rememberRequestSchema>;
export type RecallRequest = FromSchema<typeof recallRequestSchema>;
export type MemoryIdRequest = FromSchema<typeof memoryIdRequestSchema>;
export type UpdateMemoryRequest = FromSchema<typeof updateMemoryRequestSchema>;
export type ListMemoryRequest = FromSchema<typeof listMemoryRequestSchema>;
export type MemoryHistoryRequest = FromSchema<typeof memoryHistoryRequestSchema>;

const parseOperation = parser(memoryOperationSchema);
export const parseRememberRequest = parser(rememberRequestSchema);
export const parseRecallRequest = parser(recallRequestSchema);
export const parseMemoryIdRequest = parser(memoryIdRequestSchema);
export const parseUpdateMemoryRequest = parser(updateMemoryRequestSchema);
export const parseListMemoryRequest = parser(listMemoryRequestSchema);
export const parseMemoryHistoryRequest = parser(memoryHistoryRequestSchema);

/** The operation, or a MemoryInputError naming `operation`. */
export function parseMemoryOperation(operation: unknown): MemoryOperation {
  return parseOperation(operation === undefined ? {} : { operation }).operation as MemoryOperation;
}
