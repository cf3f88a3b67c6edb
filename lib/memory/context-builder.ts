/**
 * Builds the context for one LLM call from what the memory holds: a system prompt (the template
 * with the user's preferences, graph facts, long-term memories and the session summary filled in), the newest messages
 * after the summary that fit, and the new user message last. Every part is measured with a real
 * tokenizer and the whole is never over the budget. No Node-RED in here.
 *
 * The measure: a message costs the tokens of its content (JSON when not a string), of its tool
 * calls (as JSON), tool_call_id and name, plus `messageOverhead` for its role and framing; the
 * context costs the sum of its messages plus `replyPriming`. The plain-text format is measured as
 * the one string it is.
 */
import type { ContextRequest } from '../schemas/context-request';
import { MemoryInputError } from '../errors/input-errors';
import { chatMessage, transcript, type ChatMessage } from './chat-message';
import type { MessageRecord } from './message-record';
import { contentText, countTokens, truncateToTokens, type Encoding } from './tokens';

export const messageOverhead = 4;
export const replyPriming = 3;
/**
 * Each section's share of the budget left after the new message, in percent. `memories` counts
 * toward the 100% only when the template has {{memories}}, `working` only when it has {{working}}: a
 * context saved before they existed, with its five shares at 100, goes on as it was (and reads
 * neither). History has no fixed share: unless one is given, it is the rest, 100 minus the others
 * counted (50 with neither placeholder, 40 with one, 30 with both), so the defaults fit every
 * template. A given history share is taken as it is, and then shares over 100 are refused. The
 * history's share only bounds the others': the history gets whatever they leave.
 */
export const defaultShares = { system: 15, preferences: 10, facts: 10, summary: 15, memories: 10, working: 10 } as const;
export const defaultTemplate =
  'You are a helpful assistant.\n\nWhat you know about the user:\n{{preferences}}\n{{facts}}\n\nThe conversation so far, summarised:\n{{summary}}';
export const placeholders = { preferences: '{{preferences}}', facts: '{{facts}}', summary: '{{summary}}', memories: '{{memories}}', working: '{{working}}' } as const;
/** The memories one context recalls at most (the best first; the share's budget may keep fewer). */
export const contextMemoryCount = 5;
/** A recall's query is at most this long (the memory request schema's limit). */
const maxQueryChars = 32768;
/** At most this many messages go out on the summary output at once (the oldest not yet covered). */
export const maxSummaryBatch = 200;

export type Section = keyof typeof defaultShares | 'history';

/** A stored message with its ULID (sort key), newest first as the reader hands them. */
export interface StoredMessage {
  ulid: string;
  record: MessageRecord;
}

/** What {{memories}} recalls with: the new message's text, and its vector when the flow gave one. */
export interface MemoryQuery {
  text: string;
  /** msg.embedding; none: the built-in embedder's vector of `text`. */
  embedding?: unknown[];
  embedder?: string;
  k: number;
}

export interface RecalledMemories {
  /** Best first. */
  memories: Array<{ text: string; kind?: string }>;
  /** Resolves once the recalled records' access counts are written (memory-recall.ts). */
  accessRecorded: Promise<void>;
}

/** What {{working}} shows. */
export interface WorkingScratchpad {
  entries: Array<{ text: string }>;
  steps: Array<{ text: string }>;
}

export interface StoredSummary {
  summary: string;
  /** ULID of the newest message it covers. */
  covers: string;
  coversMessageId?: string;
  coversCreatedAt?: string;
  updatedAt: string;
}

/** What the builder reads; ChatMemory implements it on DynamoDB. */
export interface ContextSource {
  preferences(userId: string): Promise<Record<string, unknown>>;
  /** Valid relationships of the user's graph scope. */
  facts(userId: string): Promise<Array<{ source: string; relation: string; target: string }>>;
  summary(sessionId: string): Promise<StoredSummary | undefined>;
  /**
   * The user's long-term memories most relevant to the query: one recall in the user's scope. A
   * source without it fills {{memories}} with nothing.
   */
  memories?(userId: string, query: MemoryQuery): Promise<RecalledMemories>;
  /**
   * The session's working memory: its live entries, most important first, and its reasoning chain
   * in order. A source without it fills {{working}} with nothing.
   */
  working?(sessionId: string): Promise<WorkingScratchpad>;
  /**
   * Messages after `afterUlid` (all when undefined), newest first, a page at a time, until `enough`
   * says so or there are no more; `exhausted` when it reached the start (or the coverage point).
   */
  newestMessages(sessionId: string, afterUlid: string | undefined, enough: (read: StoredMessage[]) => boolean): Promise<{ messages: StoredMessage[]; exhausted: boolean }>;
  /** The oldest `limit` messages after `afterUlid`, oldest first. */
  oldestMessages(sessionId: string, afterUlid: string | undefined, limit: number): Promise<StoredMessage[]>;
}

/** The shares a build used, in percent: `memories` and `working` only when their placeholders counted them. */
export type SharesUsed = Record<Exclude<Section, 'memories' | 'working'>, number> & Partial<Record<'memories' | 'working', number>>;

export interface ContextParts {
  encoding: Encoding;
  tokenBudget: number;
  /** History's is the one given or the rest (defaultShares). */
  shares: SharesUsed;
  /** The whole context by the measure above (for `text`, the prompt string's tokens). */
  totalTokens: number;
  system: { text: string; tokens: number };
  template: { text: string; tokens: number };
  preferences: { text: string; tokens: number; count: number; total: number };
  facts: { text: string; tokens: number; count: number; total: number };
  /** count: the memories kept in the share; total: those recalled (0 and no recall when unused). */
  memories: { text: string; tokens: number; count: number; total: number };
  /** count: the entries and steps kept in the share; total: those read (0 and no read when unused). */
  working: { text: string; tokens: number; count: number; total: number };
  summary: { text: string; tokens: number; covers?: string; coversMessageId?: string; coversCreatedAt?: string };
  history: { messages: ChatMessage[]; tokens: number; count: number; available: number };
  user: { content: unknown; tokens: number };
}

export interface SummaryDue {
  /** The current summary's text, if one is stored. */
  summary: string | null;
  /** The oldest messages the summary does not cover yet, oldest first (at most maxSummaryBatch). */
  messages: ChatMessage[];
  transcript: string;
  /** ULID of the newest of them: store the new summary with this as `covers`. */
  covers: string;
  /** Messages not covered (at least this many). */
  uncovered: number;
}

export interface ContextResult {
  payload: unknown;
  context: ContextParts;
  summaryDue?: SummaryDue;
  /**
   * Resolves once the recalled memories' access counts are written (at once when none were
   * recalled): await it after sending the context on, as after a recall.
   */
  accessRecorded: Promise<void>;
}

export function messageTokens(message: ChatMessage, encoding: Encoding): number {
  let tokens = messageOverhead + countTokens(contentText(message.content), encoding);
  if (message.tool_calls !== undefined) tokens += countTokens(JSON.stringify(message.tool_calls), encoding);
  if (message.tool_call_id !== undefined) tokens += countTokens(message.tool_call_id, encoding);
  if (message.name !== undefined) tokens += countTokens(message.name, encoding);
  return tokens;
}

/** Lines kept while the joined text fits `cap` tokens. */
function fittingLines(lines: string[], cap: number, encoding: Encoding): string[] {
  const kept: string[] = [];
  for (const line of lines) {
    if (countTokens([...kept, line].join('\n'), encoding) > cap) break;
    kept.push(line);
  }
  return kept;
}

/** `- (fact) Ana is allergic to peanuts`: one line, whatever the text holds. */
function memoryLine(memory: { text: string; kind?: string }): string {
  return `- ${memory.kind === undefined ? '' : `(${memory.kind}) `}${oneLine(memory.text)}`;
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ');
}

/** The text a recall searches with: the message's string, or its text parts. */
function queryText(payload: unknown): string {
  const parts = Array.isArray(payload) ? payload : [payload];
  const texts = parts.map((part) => (typeof part === 'string' ? part : (part as { type?: unknown; text?: unknown } | null)?.type === 'text' ? (part as { text: unknown }).text : undefined));
  return texts.filter((t): t is string => typeof t === 'string').join('\n').trim().slice(0, maxQueryChars);
}

function valueText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** `likes_music` reads as "likes music". */
function relationText(relation: string): string {
  return relation.replace(/[_-]+/g, ' ');
}

/**
 * Chronological messages as groups that stay together: an assistant message with tool_calls and the
 * tool results answering it. Tool results whose call is not there (covered by the summary, or never
 * stored) are left out: a model refuses a result without its call.
 */
function groups(chronological: ChatMessage[]): ChatMessage[][] {
  const result: ChatMessage[][] = [];
  let open: { group: ChatMessage[]; ids: Set<string> } | undefined;
  for (const message of chronological) {
    if (message.role === 'tool') {
      if (open && message.tool_call_id !== undefined && open.ids.has(message.tool_call_id)) open.group.push(message);
      continue;
    }
    const group = [message];
    result.push(group);
    const ids = (message.tool_calls ?? [])
      .map((call) => (call as { id?: unknown } | null)?.id)
      .filter((id): id is string => typeof id === 'string');
    open = message.role === 'assistant' && ids.length > 0 ? { group, ids: new Set(ids) } : undefined;
  }
  return result;
}

function sameContent(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

// ---- output formats -------------------------------------------------------------------------

interface AnthropicMessage {
  role: 'user' | 'assistant';
  content: Array<Record<string, unknown>>;
}

function anthropicBlocks(message: ChatMessage): AnthropicMessage {
  const text = (content: unknown) => (contentText(content) === '' ? [] : [{ type: 'text', text: contentText(content) }]);
  const asBlocks = (content: unknown): Array<Record<string, unknown>> =>
    Array.isArray(content)
      ? content.map((part) => {
          const p = part as { type?: unknown; text?: unknown };
          return p && p.type === 'text' && typeof p.text === 'string' ? { type: 'text', text: p.text } : { type: 'text', text: JSON.stringify(part) };
        })
      : text(content);
  if (message.role === 'tool') {
    return { role: 'user', content: [{ type: 'tool_result', tool_use_id: message.tool_call_id ?? '', content: contentText(message.content) }] };
  }
  if (message.role === 'assistant') {
    const uses = (message.tool_calls ?? []).map((call) => {
      const { name, input } = toolArguments(call);
      return { type: 'tool_use', id: (call as { id?: string } | null)?.id ?? '', name, input };
    });
    return { role: 'assistant', content: [...asBlocks(message.content), ...uses] };
  }
  // Stored system messages have no place among Anthropic's turns: they go in as marked user text.
  if (message.role === 'system') return { role: 'user', content: [{ type: 'text', text: `[system] ${contentText(message.content)}` }] };
  return { role: 'user', content: asBlocks(message.content) };
}

/** Anthropic wants user and assistant turns: consecutive turns of one role become one. */
function anthropicMessages(messages: ChatMessage[]): AnthropicMessage[] {
  const turns: AnthropicMessage[] = [];
  for (const message of messages) {
    const turn = anthropicBlocks(message);
    if (turn.content.length === 0) turn.content.push({ type: 'text', text: ' ' });
    const last = turns[turns.length - 1];
    if (last && last.role === turn.role) last.content.push(...turn.content);
    else turns.push(turn);
  }
  return turns;
}

function textPrompt(system: string, history: ChatMessage[], user: ChatMessage): string {
  return [system, transcript([...history, user])].filter((part) => part !== '').join('\n\n');
}

/** The arguments of a stored (OpenAI) tool call as the object Ollama and Anthropic take. */
function toolArguments(call: unknown): { name: string; input: unknown } {
  const c = call as { function?: { name?: string; arguments?: string } } | null;
  let input: unknown = {};
  try {
    input = JSON.parse(c?.function?.arguments ?? '{}');
  } catch {
    input = { arguments: c?.function?.arguments };
  }
  return { name: c?.function?.name ?? 'tool', input: input ?? {} };
}

/**
 * Ollama's /api/chat messages: content is one string, tool calls carry their arguments as an
 * object, and a tool result names its tool (Ollama has no call ids to match them by).
 */
function ollamaMessages(messages: ChatMessage[]): Array<Record<string, unknown>> {
  const toolNames = new Map<string, string>();
  return messages.map((message) => {
    const out: Record<string, unknown> = { role: message.role, content: contentText(message.content) };
    if (message.tool_calls !== undefined && message.tool_calls.length > 0) {
      out['tool_calls'] = message.tool_calls.map((call) => {
        const { name, input } = toolArguments(call);
        const id = (call as { id?: unknown } | null)?.id;
        if (typeof id === 'string') toolNames.set(id, name);
        return { function: { name, arguments: input } };
      });
    }
    if (message.role === 'tool' && message.tool_call_id !== undefined && toolNames.has(message.tool_call_id)) {
      out['tool_name'] = toolNames.get(message.tool_call_id);
    }
    return out;
  });
}

function formatted(format: string, system: string, history: ChatMessage[], user: ChatMessage, model: string | undefined): unknown {
  const named = model === undefined ? {} : { model };
  const openAI = [...(system === '' ? [] : [{ role: 'system', content: system }]), ...history, user];
  if (format === 'anthropic') return { ...named, system, messages: anthropicMessages([...history, user]) };
  if (format === 'text') return textPrompt(system, history, user);
  // stream: false, or Ollama answers with a line of JSON per token instead of one reply.
  if (format === 'ollama') return { ...named, messages: ollamaMessages(openAI), stream: false };
  return { ...named, messages: openAI };
}

/**
 * The shares a build counts (see defaultShares): the request's over the defaults, `memories` and
 * `working` only with their placeholders, history the given share or the rest.
 */
function countedShares(given: ContextRequest['shares'], wants: (p: keyof typeof placeholders) => boolean): SharesUsed {
  const { history, ...others } = { ...defaultShares, ...given };
  const counted = Object.entries(others).filter(([section]) => (section !== 'memories' && section !== 'working') || wants(section));
  const othersSum = counted.reduce((sum, [, share]) => sum + share, 0);
  const sum = othersSum + (history ?? 0);
  if (sum > 100) throw new MemoryInputError('input.shares-over-100', { sum });
  return { ...Object.fromEntries(counted), history: history ?? 100 - othersSum } as SharesUsed;
}

// ---- the builder ----------------------------------------------------------------------------

export async function buildContext(source: ContextSource, request: ContextRequest): Promise<ContextResult> {
  const encoding: Encoding = request.encoding ?? 'o200k_base';
  const budget = request.tokenBudget;
  const template = request.template ?? defaultTemplate;
  // A section whose placeholder is not in the template is not read at all.
  const wants = (p: keyof typeof placeholders) => template.includes(placeholders[p]);
  const shares = countedShares(request.shares, wants);
  const user: ChatMessage = { role: 'user', content: request.payload };
  const userTokens = messageTokens(user, encoding);
  const available = budget - replyPriming - messageOverhead - userTokens;
  if (available < 0) {
    throw new MemoryInputError('input.message-over-budget', { tokens: userTokens, budget });
  }
  const cap = (section: Section) => Math.floor((available * (shares[section] ?? 0)) / 100);

  // Memories are recalled only for a template with {{memories}} and a share to fill: one recall,
  // beside the other reads.
  const query = queryText(request.payload);
  const recalling = wants('memories') && cap('memories') > 0 && request.userId !== undefined && query !== '' && source.memories !== undefined;
  const reading = wants('working') && cap('working') > 0 && source.working !== undefined;
  const [preferences, facts, summary, recalled, scratchpad] = await Promise.all([
    wants('preferences') && request.userId !== undefined ? source.preferences(request.userId) : Promise.resolve({}),
    wants('facts') && request.userId !== undefined ? source.facts(request.userId) : Promise.resolve([]),
    source.summary(request.sessionId),
    recalling
      ? source.memories!(request.userId!, {
          text: query,
          ...(request.embedding !== undefined ? { embedding: request.embedding } : {}),
          ...(request.embedder !== undefined ? { embedder: request.embedder } : {}),
          k: contextMemoryCount,
        })
      : Promise.resolve<RecalledMemories>({ memories: [], accessRecorded: Promise.resolve() }),
    reading ? source.working!(request.sessionId) : Promise.resolve<WorkingScratchpad>({ entries: [], steps: [] }),
  ]);
  // Awaited by whoever sends the context on; handled here too, so a build that fails after the
  // recall (or a caller that never awaits it) leaves no unhandled rejection behind.
  recalled.accessRecorded.catch(() => undefined);

  const preferenceLines = Object.entries(preferences).map(([k, v]) => `- ${k}: ${valueText(v)}`);
  const keptPreferences = fittingLines(preferenceLines, cap('preferences'), encoding);
  const factLines = facts.map((f) => `- ${f.source} ${relationText(f.relation)} ${f.target}`);
  const keptFacts = fittingLines(factLines, cap('facts'), encoding);
  const summaryText = wants('summary') && summary ? truncateToTokens(summary.summary, cap('summary'), encoding) : '';
  const preferencesText = keptPreferences.join('\n');
  const factsText = keptFacts.join('\n');
  const memoryLines = recalled.memories.map(memoryLine);
  // Best first: the lines that fit the share, in the recall's order.
  const keptMemories = fittingLines(memoryLines, cap('memories'), encoding);
  const memoriesText = keptMemories.join('\n');
  // The entries first (most important first), then the reasoning chain numbered in its order.
  const workingLines = [...scratchpad.entries.map(memoryLine), ...scratchpad.steps.map((step, i) => `${i + 1}. ${oneLine(step.text)}`)];
  const keptWorking = fittingLines(workingLines, cap('working'), encoding);
  const workingText = keptWorking.join('\n');

  const fill: Record<string, string> = { preferences: preferencesText, facts: factsText, summary: summaryText, memories: memoriesText, working: workingText };
  // A paragraph whose placeholders all came out empty is left out: no heading over nothing.
  const placeholderPattern = new RegExp(`\\{\\{(${Object.keys(placeholders).join('|')})\\}\\}`, 'g');
  const usedTemplate = template
    .split(/\n{2,}/)
    .filter((paragraph) => {
      const names = [...paragraph.matchAll(placeholderPattern)].map((m) => m[1]!);
      return names.length === 0 || names.some((name) => fill[name] !== '');
    })
    .join('\n\n');

  // The template's own text has the system share; the placeholders are cut out of it first.
  const marker = '\u0000';
  let templateText = usedTemplate;
  for (const p of Object.values(placeholders)) templateText = templateText.split(p).join(marker);
  const pieces = templateText.split(marker);
  const templateBudget = cap('system');
  let left = templateBudget;
  const keptPieces = pieces.map((piece) => {
    const kept = truncateToTokens(piece, left, encoding);
    left -= countTokens(kept, encoding);
    return kept;
  });
  const keptTemplate = keptPieces.join('');
  let i = 0;
  const order = [...usedTemplate.matchAll(placeholderPattern)].map((m) => m[1]!);
  let system = keptPieces[0] ?? '';
  for (const name of order) system += fill[name]! + (keptPieces[++i] ?? '');
  system = system.trim();
  let systemTokens = system === '' ? 0 : countTokens(system, encoding) + messageOverhead;
  const over = replyPriming + userTokens + systemTokens - budget;
  if (over > 0 && system !== '') {
    // Joined text can tokenize a little differently from its parts: cut the end to fit.
    system = truncateToTokens(system, systemTokens - messageOverhead - over, encoding);
    systemTokens = system === '' ? 0 : countTokens(system, encoding) + messageOverhead;
  }

  // History: everything the budget has left (its own share and what the others did not use).
  const historyAvailable = budget - replyPriming - userTokens - systemTokens;
  const threshold = request.summaryThreshold;
  // Each message read becomes a chat message and is tokenized once, as its page arrives: `enough`
  // looks at everything read so far after every page.
  const chats: ChatMessage[] = [];
  const tokensOf = new Map<ChatMessage, number>();
  let readTokens = 0;
  const convert = (messages: StoredMessage[]) => {
    for (let k = chats.length; k < messages.length; k++) {
      const chat = chatMessage(messages[k]!.record);
      const tokens = messageTokens(chat, encoding);
      chats.push(chat);
      tokensOf.set(chat, tokens);
      readTokens += tokens;
    }
  };
  const read = await source.newestMessages(request.sessionId, summary?.covers, (messages) => {
    convert(messages);
    if (threshold !== undefined && messages.length < threshold) return false;
    const oldest = messages[messages.length - 1];
    if (oldest && oldest.record.role === 'tool') return false;
    return readTokens > historyAvailable;
  });
  convert(read.messages);
  const groupTokens = (group: ChatMessage[]) => group.reduce((sum, m) => sum + tokensOf.get(m)!, 0);
  let stored = chats;
  // The new message, stored by a store node just before: it comes last anyway, not twice.
  if (stored[0] && stored[0].role === 'user' && sameContent(stored[0].content, request.payload)) stored = stored.slice(1);
  const chronological = groups(stored.reverse());
  const kept: ChatMessage[][] = [];
  let historyTokens = 0;
  for (let g = chronological.length - 1; g >= 0; g--) {
    const tokens = groupTokens(chronological[g]!);
    if (historyTokens + tokens > historyAvailable) break;
    historyTokens += tokens;
    kept.unshift(chronological[g]!);
  }

  const format = request.format ?? 'openai';
  // Anthropic's Messages API wants the first turn to be the user's: older assistant groups go.
  if (format === 'anthropic') {
    while (kept.length > 0 && kept[0]![0]!.role === 'assistant') {
      historyTokens -= groupTokens(kept.shift()!);
    }
  }
  let history = kept.flat();
  let payload = formatted(format, system, history, user, request.model);
  let totalTokens = replyPriming + systemTokens + historyTokens + userTokens;
  if (format === 'text') {
    // One string: measured as it is, and the oldest groups dropped while it does not fit.
    totalTokens = countTokens(payload as string, encoding);
    while (totalTokens > budget && kept.length > 0) {
      const dropped = kept.shift()!;
      historyTokens -= groupTokens(dropped);
      history = kept.flat();
      payload = formatted(format, system, history, user, request.model);
      totalTokens = countTokens(payload as string, encoding);
    }
    if (totalTokens > budget) throw new MemoryInputError('input.prompt-over-budget', { tokens: totalTokens, budget });
  }

  const context: ContextParts = {
    encoding,
    tokenBudget: budget,
    shares,
    totalTokens,
    system: { text: system, tokens: systemTokens },
    template: { text: keptTemplate, tokens: countTokens(keptTemplate, encoding) },
    preferences: { text: preferencesText, tokens: countTokens(preferencesText, encoding), count: keptPreferences.length, total: preferenceLines.length },
    facts: { text: factsText, tokens: countTokens(factsText, encoding), count: keptFacts.length, total: factLines.length },
    memories: { text: memoriesText, tokens: countTokens(memoriesText, encoding), count: keptMemories.length, total: memoryLines.length },
    working: { text: workingText, tokens: countTokens(workingText, encoding), count: keptWorking.length, total: workingLines.length },
    summary: {
      text: summaryText,
      tokens: countTokens(summaryText, encoding),
      ...(summary ? { covers: summary.covers } : {}),
      ...(summary?.coversMessageId ? { coversMessageId: summary.coversMessageId } : {}),
      ...(summary?.coversCreatedAt ? { coversCreatedAt: summary.coversCreatedAt } : {}),
    },
    history: { messages: history, tokens: historyTokens, count: history.length, available: historyAvailable },
    user: { content: request.payload, tokens: userTokens },
  };

  const { accessRecorded } = recalled;
  if (threshold === undefined || read.messages.length < threshold) return { payload, context, accessRecorded };
  const oldest = read.exhausted
    ? [...read.messages].reverse().slice(0, maxSummaryBatch)
    : await source.oldestMessages(request.sessionId, summary?.covers, maxSummaryBatch);
  const messages = oldest.map((m) => chatMessage(m.record));
  return {
    payload,
    context,
    accessRecorded,
    summaryDue: {
      summary: summary?.summary ?? null,
      messages,
      transcript: transcript(messages),
      covers: oldest[oldest.length - 1]!.ulid,
      uncovered: read.messages.length,
    },
  };
}
