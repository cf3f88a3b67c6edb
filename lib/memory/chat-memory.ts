/**
 * Conversation memory on DynamoDB, with no Node-RED in it: the nodes call this, and so can any
 * TypeScript program. Requests are typed by the schemas in ../schemas; use their `parse…` functions
 * on input you do not control. Each capability lives in a module of its own; this class only
 * holds the connection and hands each call to its module.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ClearRequest, ForgetRequest } from '../schemas/clear-request';
import type { ContextRequest } from '../schemas/context-request';
import type { HistoryRequest } from '../schemas/history-request';
import type { SessionsRequest } from '../schemas/sessions-request';
import type { StoreRequest } from '../schemas/store-request';
import type { SummaryRequest } from '../schemas/summary-request';
import { parseImportRequest, type ExportPart, type ExportRequest } from '../schemas/transfer-request';
import type { ContextResult, StoredSummary } from './context-builder';
import { clearSession, type ClearResult } from './erasure';
import { ForgetJobs, type ForgetJob, type ForgetJobsOptions } from './forget-job';
import type { CountsByKind } from './partition-delete';
import { MemoryGraph } from './graph';
import { LongTermMemory } from './long-term-memory';
import { MemoryExtraction } from './extraction';
import { WorkingMemory } from './working-memory';
import { VectorIndexWatch } from './vector-index-state';
import { history } from './message-history';
import { messageWrites, type MessageRecord } from './message-record';
import { Preferences } from './preferences';
import { sessionContext } from './session-context';
import { storeSummary, summary } from './session-summary';
import { storeMessages } from './store-messages';
import { SessionExpiries } from './session-expiry';
import { TableCounters, type TableStats } from './table-counters';
import type { TableHandle } from './table-handle';
import { exportUser } from './user-export';
import { importUser, type ImportResult } from './user-import';
import { listSessions, sessionStats, type SessionPage, type SessionStats } from './user-sessions';

export type { ClearResult } from './erasure';
export type { ForgetJob, ForgetListener, ForgetProgress } from './forget-job';

export interface ForgetResult {
  /** Items deleted by kind (message, message-id, session, summary, user, preference, preference-change, entity, edge-out, edge-in, memory, memory-vector, memory-change, memory-version, extraction-watermark, working-entry, working-step, working-count). */
  deleted: CountsByKind;
  items: number;
}
export type { TableStats } from './table-counters';
export type { ImportResult } from './user-import';
export type { SessionPage, SessionStats, SessionSummary } from './user-sessions';

export interface ChatMemoryOptions {
  documents: DynamoDBDocumentClient;
  tableName: string;
  /** Messages stored without a TTL of their own expire after this many days; none: they stay. */
  defaultTtlDays?: number;
  /** How long a change to the table's statistics may wait before it is written (table-counters.ts). */
  statsFlushAfterMs?: number;
  /** The clock, for tests. */
  now?: () => number;
  /** Forget jobs' lease and progress interval (forget-job.ts). */
  forgetJobs?: ForgetJobsOptions;
}

export class ChatMemory {
  readonly tableName: string;
  private readonly table: TableHandle;
  private readonly defaultTtlDays: number | undefined;
  private readonly counters: TableCounters;
  private readonly expiries = new SessionExpiries();
  /** Whether the table has the pack's vector index, for memory writes, recall and import. */
  private readonly vectorIndex: VectorIndexWatch;
  /** The users' preferences (get, set, merge, delete, history) on the same table. */
  readonly preferences: Preferences;
  /** The entity graph in the same table (see graph.ts). */
  readonly graph: MemoryGraph;
  /** Forgetting users in the background, resumably (see forget-job.ts). */
  readonly forgetJobs: ForgetJobs;
  /** Long-term memory records, recalled by meaning (long-term-memory.ts). */
  readonly memories: LongTermMemory;
  /** The extraction loop: when a session's messages are due, and applying a model's answer (extraction.ts). */
  readonly extraction: MemoryExtraction;
  /** Working memory: a session's or a namespace's scratchpad with a capacity and a reasoning chain (working-memory.ts). */
  readonly working: WorkingMemory;

  constructor(options: ChatMemoryOptions) {
    this.tableName = options.tableName;
    this.table = { documents: options.documents, tableName: options.tableName, now: options.now ?? Date.now };
    this.defaultTtlDays = options.defaultTtlDays;
    this.counters = new TableCounters({
      documents: options.documents,
      tableName: options.tableName,
      ...(options.statsFlushAfterMs !== undefined ? { flushAfterMs: options.statsFlushAfterMs } : {}),
    });
    this.preferences = new Preferences(this.table);
    this.graph = new MemoryGraph(this.table);
    this.forgetJobs = new ForgetJobs(this.table, this.counters, options.forgetJobs);
    this.vectorIndex = new VectorIndexWatch(this.table);
    this.memories = new LongTermMemory(this.table, this.vectorIndex);
    this.extraction = new MemoryExtraction(this.table, this.vectorIndex, this.memories);
    this.working = new WorkingMemory(this.table);
  }

  /** Stores the payload's message(s) in order; returns what was stored (see MessageRecord.duplicate). */
  async store(request: StoreRequest): Promise<MessageRecord[]> {
    const nowMs = this.table.now();
    const ttlDays = request.ttlDays ?? this.defaultTtlDays;
    const expiresAt = ttlDays === undefined ? undefined : Math.floor(nowMs / 1000 + ttlDays * 86400);
    return storeMessages(
      { ...this.table, sessionId: request.sessionId, userId: request.userId, expiresAt, expiries: this.expiries, counted: (change) => this.counters.add(change) },
      messageWrites(request, nowMs, expiresAt),
    );
  }

  /** The newest `limit` messages (within since/until and the token budget), oldest first. */
  history(request: HistoryRequest): Promise<MessageRecord[]> {
    return history(this.table, request);
  }

  /** Stores (replaces) the session's summary; a summary covering less than the stored one is kept out. */
  storeSummary(request: SummaryRequest): Promise<{ stored: boolean; summary: StoredSummary }> {
    return storeSummary(this.table, request);
  }

  /** The session's summary, if one is stored. */
  summary(sessionId: string): Promise<StoredSummary | undefined> {
    return summary(this.table, sessionId);
  }

  /** The context for one LLM call (see context-builder.ts). */
  context(request: ContextRequest): Promise<ContextResult> {
    return sessionContext(this.table, this, request);
  }

  /** A session's statistics from its session item: one GetItem. */
  sessionStats(request: { sessionId: string; userId?: string }): Promise<SessionStats> {
    return sessionStats(this.table, request);
  }

  /** The table's sessions, messages and users (table-counters.ts says how fresh and how exact). */
  tableStats(): Promise<TableStats> {
    return this.counters.read();
  }

  /** Deletes every item of the session, the session item last. */
  clearSession(request: ClearRequest): Promise<ClearResult> {
    return clearSession(this.table, this.counters, request);
  }

  /** A user's sessions, newest activity first, a page at a time (pass `cursor` on for the next). */
  listSessions(request: SessionsRequest): Promise<SessionPage> {
    return listSessions(this.table, request);
  }

  /**
   * Starts forgetting everything this pack keeps for a user, or joins the job that runs: resolves
   * once nothing of the user can be read, and the deletion goes on (forget-job.ts).
   */
  startForgetUser(request: ForgetRequest): Promise<ForgetJob> {
    return this.forgetJobs.start(request.userId);
  }

  /** Forgets everything this pack keeps for a user and resolves when it is all deleted. */
  async forgetUser(request: ForgetRequest): Promise<ForgetResult> {
    const { deleted, items } = await (await this.startForgetUser(request)).finished;
    return { deleted, items };
  }

  /**
   * Everything this pack keeps about the user (sessions with messages and summaries, preferences
   * with their history, the user's graph), as parts of the export format (docs/export-format.md),
   * each read when the caller asks for the next. Expired items are left out.
   */
  exportUser(request: ExportRequest): AsyncGenerator<ExportPart> {
    return exportUser(this.table, request);
  }

  /**
   * Writes one export part into this table, as its user or as `request.userId`. The part is checked
   * whole (its schema here, then keys, sizes and session owners) before anything is written, and
   * importing it again writes nothing new.
   */
  async importUser(request: { part: unknown; userId?: string }): Promise<ImportResult> {
    return importUser(this.table, (change) => this.counters.add(change), parseImportRequest(request), this.vectorIndex);
  }

  /**
   * Pauses the forget jobs this process runs (they resume later) and writes what the table's
   * statistics still hold in memory; call before dropping the client.
   */
  async close(): Promise<void> {
    await this.forgetJobs.close();
    await this.counters.flush();
  }
}
