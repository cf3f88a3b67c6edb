/** The memory core for use from plain TypeScript or JavaScript, without Node-RED. */
export { ChatMemory, type ChatMemoryOptions, type ClearResult, type SessionStats, type TableStats } from './memory/chat-memory';
export {
  buildContext, contextMemoryCount, defaultShares, defaultTemplate, maxSummaryBatch, type ContextParts, type ContextResult, type ContextSource,
  type MemoryQuery, type RecalledMemories, type SharesUsed, type StoredSummary, type SummaryDue, type WorkingScratchpad,
} from './memory/context-builder';
export { countTokens, encodings, type Encoding } from './memory/tokens';
export { parseContextRequest, parseStatsRequest, type ContextRequest, type StatsRequest } from './schemas/context-request';
export { parseSummaryRequest, type SummaryRequest } from './schemas/summary-request';
export { connect, type Authentication, type Connection, type ConnectionOptions } from './memory/connection';
export { withCapacityMeter, type CallCapacity, type ConsumedCapacity } from './memory/consumed-capacity';
export { EntityNotFoundError, MemoryInputError, SessionOwnershipError, type TextValues } from './errors/input-errors';
export { MemoryServiceError, type FailureCode } from './errors/service-error';
export { explainAwsFailure, type FailurePlace } from './memory/aws-failure';
// The pack's errors' `text` and `values`, to show their messages in another language.
export { failureTexts, type FailureText } from './errors/failure-texts';
export { fillIn } from './errors/fill-in';
export { inputTexts, type InputText } from './errors/input-texts';
export {
  MemoryGraph, type MemoryGraphOptions, type EntityRecord, type EdgeRecord, type NeighbourEdge, type NeighboursResult,
  type RelationsResult, type UnlinkMode, type UnlinkResult,
} from './memory/graph';
export type { GraphScope } from './memory/table-layout';
export type { MessageRecord } from './memory/message-record';
export {
  Preferences,
  type PreferencesOptions,
  type PreferenceValues,
  type PreferenceChange,
  type GetResult,
  type ChangeResult,
  type HistoryResult,
} from './memory/preferences';
export { ensureTable } from './memory/table-setup';
export { tableDefinition } from './memory/table-layout';
export { parseStoreRequest, type StoreRequest } from './schemas/store-request';
export { parseHistoryRequest, type HistoryRequest } from './schemas/history-request';
export { parseClearRequest, type ClearRequest } from './schemas/clear-request';
export {
  preferenceOperations,
  parsePreferenceOperation,
  parsePreferenceKeyRequest,
  parsePreferenceSetRequest,
  parsePreferenceMergeRequest,
  parsePreferenceHistoryRequest,
  type PreferenceOperation,
  type PreferenceKeyRequest,
  type PreferenceSetRequest,
  type PreferenceMergeRequest,
  type PreferenceHistoryRequest,
} from './schemas/preference-request';
export {
  parseUserScope, parseNamedScope, parseEntityRequest, parseLinkRequest, parseUnlinkRequest, parseNeighboursRequest,
  parseRelationsRequest, type EntityRequest, type LinkRequest, type UnlinkRequest, type NeighboursRequest, type RelationsRequest,
} from './schemas/graph-request';
export {
  LongTermMemory, type MemoryRecord, type MemoryChange, type MemoryPage, type RecallResult, type ScoredMemory, type RememberedRecord,
} from './memory/long-term-memory';
export {
  memoryOperations, memoryScopes, parseMemoryOperation, parseRememberRequest, parseRecallRequest, parseMemoryIdRequest,
  parseUpdateMemoryRequest, parseListMemoryRequest, parseMemoryHistoryRequest, type MemoryOperation, type MemoryScopeKind,
  type RememberRequest, type RecallRequest, type MemoryIdRequest, type UpdateMemoryRequest, type ListMemoryRequest,
  type MemoryHistoryRequest, type NewMemory,
} from './schemas/memory-request';
export { builtInEmbedder, builtInEmbedding, type Embedding, type EmbedderId } from './memory/embedding';
export {
  WorkingMemory, type WorkingEntry, type ReasoningStep, type AddWorkingResult,
} from './memory/working-memory';
export {
  workingOperations, workingScopes, evictionPolicies, parseWorkingOperation, parseAddWorkingRequest, parseWorkingIdRequest,
  parseListWorkingRequest, parseAddStepRequest, parseWorkingScopeRequest, type WorkingOperation, type WorkingScopeKind,
  type EvictionPolicy, type AddWorkingRequest, type WorkingIdRequest, type ListWorkingRequest, type AddStepRequest,
  type WorkingScopeRequest,
} from './schemas/working-request';
