/**
 * The user export format (docs/export-format.md): one part of everything the pack keeps about a
 * user, as `ChatMemory.exportUser` hands it out and `ChatMemory.importUser` takes it back. The
 * schema is the format's definition: import validates a whole part with it before it writes
 * anything, so a malformed part writes nothing, and its types are what export builds.
 *
 * Every record keeps what identifies it in the table (a message's ULID and messageId, a preference
 * change's ULID, versions), so importing a part twice writes nothing the second time. What the
 * table derives (a session's message count and tokens, a messageId's guard item, an edge's second
 * item and index keys) is not in the file: import derives it again.
 */
import * as field from './fields';
import { importance, recordId, text } from './memory-request';
import { parser, type FromSchema } from './validator';

/** What every part says it is, so a file of another kind is refused by name. */
export const exportFormat = 'flowmemory.user-export';
/** Raised when a record's meaning changes; an importer refuses versions it does not know. */
export const exportVersion = 1;
/** A part never holds more records than this (the export's `partRecords` is at most this too). */
export const maxPartRecords = 10000;

/** A time as the pack stores it: ISO 8601 in UTC with milliseconds (any ISO 8601 is accepted). */
const time = { type: 'string', format: 'instant', maxLength: 64, errorText: 'input.iso-time' } as const;

/** DynamoDB's TTL attribute: epoch seconds. Absent: the item never expires. */
const expiresAt = { type: 'integer', minimum: 0, maximum: 100_000_000_000, errorText: 'input.whole-number' } as const;

/** A version number the pack counts up per write (preferences, entities). */
const version = { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER, errorText: 'input.whole-number' } as const;

const records = <const S>(items: S) => ({ type: 'array', maxItems: maxPartRecords, items, errorText: 'input.records' }) as const;

export const exportedMessageSchema = {
  type: 'object',
  required: ['ulid', 'messageId', 'role', 'content', 'createdAt'],
  additionalProperties: false,
  properties: {
    /** The message's sort key without `MSG#`: its place in the session, kept by import. */
    ulid: field.ulid,
    /** The idempotency key; one that differs from the ULID was given by the flow and is guarded. */
    messageId: field.id,
    role: field.role,
    content: field.content,
    metadata: field.metadata,
    name: field.name,
    tool_calls: field.toolCalls,
    tool_call_id: field.id,
    createdAt: time,
    expiresAt,
  },
  errorText: 'input.object',
} as const;

export const exportedSummarySchema = {
  type: 'object',
  required: ['summary', 'covers', 'updatedAt'],
  additionalProperties: false,
  properties: {
    summary: { type: 'string', minLength: 1, errorText: 'input.summary-text' },
    covers: field.ulid,
    coversMessageId: field.id,
    coversCreatedAt: time,
    updatedAt: time,
    expiresAt,
  },
  errorText: 'input.object',
} as const;

/** A long-term memory record of the user's own scope or of a session's (long-term-memory.ts), with its vector. */
export const exportedMemorySchema = {
  type: 'object',
  required: ['id', 'text', 'importance', 'createdAt', 'updatedAt', 'accessCount', 'embedder', 'dimension', 'vector', 'version'],
  additionalProperties: false,
  properties: {
    id: { ...field.ulid, errorText: 'input.memory-id' },
    text: { type: 'string', minLength: 1, maxLength: 32768, errorText: 'input.memory-text' },
    kind: { ...field.id, maxLength: 64 },
    importance: { type: 'integer', minimum: 1, maximum: 10, errorText: 'input.whole-number' },
    metadata: field.metadata,
    sourceMessageIds: { type: 'array', maxItems: 100, items: field.id, errorText: 'input.array' },
    createdAt: time,
    updatedAt: time,
    lastAccessedAt: time,
    accessCount: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, errorText: 'input.whole-number' },
    validFrom: time,
    validTo: time,
    expiresAt,
    embedder: { ...field.id, maxLength: 64 },
    dimension: { type: 'integer', minimum: 1, maximum: 4096, errorText: 'input.whole-number' },
    /** The float32 vector, little-endian, in base64 (4 bytes a dimension). */
    vector: { type: 'string', minLength: 1, maxLength: 22000, pattern: '^[A-Za-z0-9+/]*={0,2}$', errorText: 'input.memory-vector' },
    version,
  },
  errorText: 'input.object',
} as const;

/** One audit entry of a scope's memory: ADD, UPDATE, DELETE or MERGE of a record. */
export const exportedMemoryChangeSchema = {
  type: 'object',
  required: ['ulid', 'recordId', 'action', 'version', 'changedAt'],
  additionalProperties: false,
  properties: {
    ulid: field.ulid,
    recordId: { ...field.ulid, errorText: 'input.memory-id' },
    action: { type: 'string', enum: ['ADD', 'UPDATE', 'DELETE', 'MERGE'], errorText: 'input.one-of' },
    oldText: { type: 'string', maxLength: 32768, errorText: 'input.string' },
    newText: { type: 'string', maxLength: 32768, errorText: 'input.string' },
    version,
    changedAt: time,
  },
  errorText: 'input.object',
} as const;

/** An entry of a session's working memory (working-memory.ts); its scope's counter is derived on import. */
export const exportedWorkingEntrySchema = {
  type: 'object',
  required: ['id', 'text', 'importance', 'createdAt', 'lastAccessedAt', 'lastUse', 'accessCount'],
  additionalProperties: false,
  properties: {
    /** The entry's ULID: its key and its age (the `oldest` policy's order). */
    id: recordId,
    text,
    importance,
    metadata: field.metadata,
    createdAt: time,
    lastAccessedAt: time,
    /** A ULID of the entry's last use: the `lru` policy's order. */
    lastUse: field.ulid,
    accessCount: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, errorText: 'input.whole-number' },
    expiresAt,
  },
  errorText: 'input.object',
} as const;

/** A step of a session's reasoning chain; its ULID is its place in the chain. */
export const exportedWorkingStepSchema = {
  type: 'object',
  required: ['id', 'text', 'createdAt'],
  additionalProperties: false,
  properties: {
    id: recordId,
    text,
    metadata: field.metadata,
    createdAt: time,
    expiresAt,
  },
  errorText: 'input.object',
} as const;

/** How far the session's messages were extracted into long-term memory (extraction.ts). */
export const exportedExtractionWatermarkSchema = {
  type: 'object',
  required: ['covers', 'extractedAt', 'scope'],
  additionalProperties: false,
  properties: {
    /** The ULID of the newest message extracted; an import never moves a table's watermark back. */
    covers: field.ulid,
    extractedAt: time,
    /** The scope the memories went to (an extraction writes into the user's or the session's). */
    scope: { type: 'string', enum: ['user', 'session'], errorText: 'input.one-of' },
    expiresAt,
  },
  errorText: 'input.object',
} as const;

/**
 * A session, or the piece of it that fits one part: a long session is continued in the next parts,
 * each repeating the session's own fields with its next records, in the order of the properties
 * here (the summary after the messages it covers). What a session's partition holds besides its
 * messages comes with it, so every piece names the session whose owner import checks.
 */
export const exportedSessionSchema = {
  type: 'object',
  required: ['sessionId', 'createdAt', 'lastActivityAt', 'messages'],
  additionalProperties: false,
  properties: {
    sessionId: field.id,
    createdAt: time,
    lastActivityAt: time,
    expiresAt,
    /** Oldest first (ULID order). */
    messages: records(exportedMessageSchema),
    summary: exportedSummarySchema,
    /** The session's own long-term memory records (scope `session`), and their audit history oldest first. */
    memories: records(exportedMemorySchema),
    memoryChanges: records(exportedMemoryChangeSchema),
    /** The session's working memory: its entries and its reasoning steps, oldest first. */
    workingEntries: records(exportedWorkingEntrySchema),
    workingSteps: records(exportedWorkingStepSchema),
    extractionWatermark: exportedExtractionWatermarkSchema,
  },
  errorText: 'input.object',
} as const;

export const exportedPreferenceSchema = {
  type: 'object',
  required: ['key', 'value', 'version', 'updatedAt'],
  additionalProperties: false,
  properties: { key: field.preferenceKey, value: field.jsonValue, version, updatedAt: time },
  errorText: 'input.object',
} as const;

export const exportedPreferenceChangeSchema = {
  type: 'object',
  required: ['ulid', 'key', 'version', 'changedAt'],
  additionalProperties: false,
  properties: {
    ulid: field.ulid,
    key: field.preferenceKey,
    oldValue: field.jsonValue,
    newValue: field.jsonValue,
    version,
    changedAt: time,
    oldValueOmitted: { type: 'boolean', enum: [true], errorText: 'input.one-of' },
  },
  errorText: 'input.object',
} as const;

const graphProperties = { type: 'object', jsonSafe: true, errorText: 'input.json-object' } as const;

export const exportedEntitySchema = {
  type: 'object',
  required: ['id', 'type', 'aliases', 'properties', 'createdAt', 'updatedAt', 'version'],
  additionalProperties: false,
  properties: {
    id: field.id,
    type: field.id,
    aliases: { type: 'array', maxItems: 100, items: { type: 'string', minLength: 1, maxLength: 256, errorText: 'input.alias' }, errorText: 'input.aliases' },
    properties: graphProperties,
    createdAt: time,
    updatedAt: time,
    version,
    expiresAt,
  },
  errorText: 'input.object',
} as const;

export const exportedEdgeSchema = {
  type: 'object',
  required: ['source', 'relation', 'target', 'properties', 'validFrom', 'createdAt'],
  additionalProperties: false,
  properties: {
    source: field.id,
    relation: field.id,
    target: field.id,
    properties: graphProperties,
    validFrom: time,
    validTo: time,
    createdAt: time,
    expiresAt,
  },
  errorText: 'input.object',
} as const;

/** One part of a user's export. Sections without records in a part are left out of it. */
export const exportPartSchema = {
  type: 'object',
  required: ['format', 'version', 'userId', 'exportedAt', 'part', 'last'],
  additionalProperties: false,
  properties: {
    format: { type: 'string', enum: [exportFormat], errorText: 'input.one-of' },
    version: { type: 'integer', enum: [exportVersion], errorText: 'input.one-of' },
    userId: field.id,
    /** When the export read the table; the same in every part of one export. */
    exportedAt: time,
    /** 0, 1, 2, … in the order the export made them. */
    part: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, errorText: 'input.whole-number' },
    /** True on the export's last part only. */
    last: { type: 'boolean', enum: [true, false], errorText: 'input.one-of' },
    /** The user marker (when the user first stored a message); in the first part. */
    user: {
      type: 'object',
      required: ['createdAt'],
      additionalProperties: false,
      properties: { createdAt: time },
      errorText: 'input.object',
    },
    /** The sessions the user owns, by sessionId. */
    sessions: records(exportedSessionSchema),
    /** The user's current preferences. */
    preferences: records(exportedPreferenceSchema),
    /** Every change of a preference (the audit history), oldest first. */
    preferenceChanges: records(exportedPreferenceChangeSchema),
    /** The user's own graph (`GRAPH#USER#<userId>`): entities, then relationships (named graphs are shared, not a user's). */
    entities: records(exportedEntitySchema),
    edges: records(exportedEdgeSchema),
    /** The user's long-term memory records (their own scope; a named namespace is nobody's). */
    memories: records(exportedMemorySchema),
    /** Every change of a memory record (the audit history), oldest first. */
    memoryChanges: records(exportedMemoryChangeSchema),
  },
  errorText: 'input.object',
} as const;

export type ExportPart = FromSchema<typeof exportPartSchema>;
export type ExportedSession = FromSchema<typeof exportedSessionSchema>;
export type ExportedMessage = FromSchema<typeof exportedMessageSchema>;
export type ExportedSummary = FromSchema<typeof exportedSummarySchema>;
export type ExportedPreference = FromSchema<typeof exportedPreferenceSchema>;
export type ExportedPreferenceChange = FromSchema<typeof exportedPreferenceChangeSchema>;
export type ExportedEntity = FromSchema<typeof exportedEntitySchema>;
export type ExportedEdge = FromSchema<typeof exportedEdgeSchema>;
export type ExportedMemory = FromSchema<typeof exportedMemorySchema>;
export type ExportedMemoryChange = FromSchema<typeof exportedMemoryChangeSchema>;
export type ExportedWorkingEntry = FromSchema<typeof exportedWorkingEntrySchema>;
export type ExportedWorkingStep = FromSchema<typeof exportedWorkingStepSchema>;
export type ExportedExtractionWatermark = FromSchema<typeof exportedExtractionWatermarkSchema>;

/** Refuses a part that is not one of this format and version, naming the first field at fault. */
export const parseExportPart = parser(exportPartSchema);

/** What `ChatMemory.exportUser` (and the transfer node's export) accepts. */
export const exportRequestSchema = {
  type: 'object',
  required: ['userId'],
  additionalProperties: false,
  properties: {
    userId: field.id,
    /** At most this many records in one part (messages, sessions, preferences, …; default 1,000). */
    partRecords: { type: 'integer', minimum: 1, maximum: maxPartRecords, errorText: 'input.whole-number' },
    /** At most this many bytes of JSON in one part (default 1 MiB); a single larger record is a part of its own. */
    partBytes: { type: 'integer', minimum: 4096, maximum: 64 * 1024 * 1024, errorText: 'input.whole-number' },
  },
} as const;

export type ExportRequest = FromSchema<typeof exportRequestSchema>;
export const parseExportRequest = parser(exportRequestSchema);

/** What `ChatMemory.importUser` accepts: a part, imported as its own user or as `userId`. */
export const importRequestSchema = {
  type: 'object',
  required: ['part'],
  additionalProperties: false,
  properties: {
    part: exportPartSchema,
    /** Import under this user instead of the part's (a user who has another id in the target). */
    userId: field.id,
  },
} as const;

export type ImportRequest = FromSchema<typeof importRequestSchema>;
export const parseImportRequest = parser(importRequestSchema);

/**
 * What the transfer node's import takes in msg.payload: one part, or an array of parts (a whole
 * export, as a join node or a JSON file holds it), each validated before any is written.
 */
export const importMsgSchema = {
  type: 'object',
  required: ['payload'],
  properties: {
    payload: {
      anyOf: [exportPartSchema, { type: 'array', minItems: 1, maxItems: 100000, items: exportPartSchema, errorText: 'input.export-parts' }],
      errorText: 'input.export-parts',
    },
    userId: field.id,
  },
} as const;

export const parseImportMsg = parser(importMsgSchema);
