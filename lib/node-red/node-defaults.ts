/**
 * Each node type's `defaults`: the one copy of them. The build writes them into the node's editor
 * file, where its definition names this file as its defaults (scripts/copy-assets.ts), and the
 * runtime lays them under what a flow deploys (withDefaults), so a node deployed without
 * some of its properties works as one dropped from the palette: a flow written by hand or by a
 * tool, or saved by a version of the pack from before a property existed. Node-RED's core nodes
 * fall back to their defaults at run time the same way.
 */
import { defaultShares } from '../memory/context-builder';
import { defaultTableName } from '../memory/table-layout';
import { defaultExtractionEvery, defaultExtractionSimilar } from '../schemas/extraction-request';

/** One property of an editor definition's `defaults` (Node-RED's names). */
export interface DefaultProperty {
  value: string | boolean;
  required?: boolean;
  /** The config node type the property names. */
  type?: string;
  /**
   * Editor code: a JavaScript expression, in the scope of the node's .html script, that gives the
   * dialog's validator (the html defines the functions named here).
   */
  validate?: string;
}

const share = (section: keyof typeof defaultShares) => ({ value: String(defaultShares[section]), validate: 'percent' });
const typedInput = (typeField: string) => `RED.validators.typedInput('${typeField}')`;
const memoryNode = { name: { value: '' }, memory: { value: '', type: 'dynamodb-memory-config', required: true } } as const;
const session = { sessionId: { value: 'sessionId', required: true, validate: typedInput('sessionIdType') }, sessionIdType: { value: 'msg' } } as const;
const user = { userId: { value: 'userId', validate: typedInput('userIdType') }, userIdType: { value: 'msg' } } as const;

export const nodeDefaults = {
  'dynamodb-memory-config': {
    name: { value: '' },
    region: { value: 'us-east-1' },
    endpoint: { value: '' },
    table: { value: defaultTableName },
    authType: { value: 'chain', required: true },
    profile: { value: '' },
    createTable: { value: false },
    requestTimeoutMs: { value: '5000', validate: 'blankOrPositive' },
    maxAttempts: { value: '3', validate: 'blankOrWholePositive' },
    ttlDays: { value: '', validate: 'blankOrPositive' },
    requireUser: { value: false },
  },
  'dynamodb-memory-store': {
    ...memoryNode,
    ...session,
    ...user,
    role: { value: 'user', required: true },
    ttlDays: { value: '', validate: 'blankOrTtlDays' },
  },
  'dynamodb-memory-history': {
    ...memoryNode,
    ...session,
    ...user,
    count: { value: '20', validate: 'blankOrWhole(1, 10000)' },
    tokenBudget: { value: '', validate: 'blankOrWhole(1, Number.MAX_SAFE_INTEGER)' },
    mode: { value: 'history' },
    format: { value: 'messages', required: true },
    property: { value: 'history', required: true, validate: "RED.validators.typedInput({ type: 'msg' })" },
  },
  'dynamodb-memory-clear': {
    ...memoryNode,
    ...session,
    ...user,
    scope: { value: 'session' },
  },
  'dynamodb-memory-preference': {
    ...memoryNode,
    operation: { value: 'get', required: true },
    ...user,
    userId: { ...user.userId, required: true },
    key: { value: 'key', validate: typedInput('keyType') },
    keyType: { value: 'msg' },
    value: { value: 'payload', validate: typedInput('valueType') },
    valueType: { value: 'msg' },
    limit: { value: '20', validate: 'blankOrLimit' },
  },
  'dynamodb-memory-graph': {
    ...memoryNode,
    operation: { value: 'entity', required: true },
    scope: { value: 'user', required: true },
    ...user,
    graph: { value: '', validate: 'graphName' },
    /** A flow saved before the name was a TypedInput has a fixed name: 'str'. */
    graphType: { value: 'str' },
    unlinkMode: { value: 'close', required: true },
  },
  'dynamodb-memory-transfer': {
    ...memoryNode,
    operation: { value: 'export', required: true },
    ...user,
    partRecords: { value: '1000', validate: 'blankOrWhole(1, 10000)' },
  },
  'dynamodb-memory-recall': {
    ...memoryNode,
    operation: { value: 'recall', required: true },
    scope: { value: 'user', required: true },
    ...user,
    ...session,
    // Only a session's memory needs one.
    sessionId: { value: 'sessionId', validate: typedInput('sessionIdType') },
    /** A named namespace's name (named scope only). */
    namespace: { value: '', validate: 'namespaceName' },
    /** Not `k`: Node-RED's editor keeps one-letter property names for itself (and drops them). */
    topK: { value: '5', validate: 'blankOrWhole(1, 100)' },
    minScore: { value: '0', validate: 'blankOrFraction' },
    similarityWeight: { value: '0.7', validate: 'blankOrFraction' },
    recencyWeight: { value: '0.15', validate: 'blankOrFraction' },
    importanceWeight: { value: '0.15', validate: 'blankOrFraction' },
    halfLifeDays: { value: '30', validate: 'blankOrHalfLife' },
    /** remember (memory-tidy.ts): blank turns each off; docs/long-term-memory.md has the measured similarities. */
    mergeAbove: { value: '0.9', validate: 'blankOrFraction' },
    contradictionAbove: { value: '0.6', validate: 'blankOrFraction' },
    /** flag: names what a record may contradict; supersede: ends it in the same transaction. */
    onContradiction: { value: 'flag', required: true },
  },
  'dynamodb-memory-working': {
    ...memoryNode,
    operation: { value: 'add', required: true },
    scope: { value: 'session', required: true },
    ...user,
    ...session,
    sessionId: { value: 'sessionId', validate: typedInput('sessionIdType') },
    /** A named namespace's name (named scope only). */
    namespace: { value: '', validate: 'namespaceName' },
    capacity: { value: '20', validate: 'blankOrWhole(1, 1000)' },
    policy: { value: 'importance', required: true },
    /** Blank: entries and steps live until evicted or cleared (a session's, at most as long as its session). */
    ttlSeconds: { value: '', validate: 'blankOrWhole(1, 3153600000)' },
  },
  'dynamodb-memory-extract': {
    ...memoryNode,
    ...session,
    ...user,
    /** Where the memories go: the session's user, or the session itself. */
    scope: { value: 'user', required: true },
    every: { value: String(defaultExtractionEvery), validate: 'blankOrWhole(1, 50)' },
    similar: { value: String(defaultExtractionSimilar), validate: 'blankOrWhole(0, 50)' },
    /** The request's form: OpenAI chat completions, or Anthropic Messages (forced tool use). */
    format: { value: 'openai', required: true },
    /** Blank: the request names no model (the model node or endpoint chooses). */
    model: { value: '' },
    embeddings: { value: 'builtin', required: true },
  },
  'dynamodb-memory-context': {
    ...memoryNode,
    mode: { value: 'context' },
    ...session,
    // Statistics of the whole table need no session.
    sessionId: { value: 'sessionId', validate: typedInput('sessionIdType') },
    ...user,
    template: { value: '' },
    tokenBudget: { value: '4000', validate: 'blankOrWhole(16, 10000000)' },
    // The builder's defaults (context-builder.ts defaultShares), as the editor's text fields hold them.
    shareSystem: share('system'),
    sharePreferences: share('preferences'),
    shareFacts: share('facts'),
    shareSummary: share('summary'),
    /** Blank: the rest, 100 minus the others counted (context-builder.ts defaultShares). */
    shareHistory: { value: '', validate: 'percent' },
    /** Counts toward the 100% only when the template has {{memories}}. */
    shareMemories: share('memories'),
    /** Counts toward the 100% only when the template has {{working}} (the session's working memory). */
    shareWorking: share('working'),
    encoding: { value: 'o200k_base', required: true },
    format: { value: 'openai', required: true },
    /** Blank: the request names no model (the model node or endpoint chooses). */
    model: { value: '' },
    summaryThreshold: { value: '', validate: 'blankOrWhole(1, 10000)' },
  },
} as const satisfies Record<string, Record<string, DefaultProperty>>;

export type NodeType = keyof typeof nodeDefaults;
export type MemoryNodeType = Exclude<NodeType, 'dynamodb-memory-config'>;

type Values<Properties> = { [P in keyof Properties]: Properties[P] extends { value: infer V } ? V : never };

/** The settings of a node of this type as the palette drops it. */
export function defaultValues<T extends NodeType>(type: T): Values<(typeof nodeDefaults)[T]> {
  const properties: Record<string, DefaultProperty> = nodeDefaults[type];
  return Object.fromEntries(Object.entries(properties).map(([name, property]) => [name, property.value])) as Values<(typeof nodeDefaults)[T]>;
}

/**
 * The deployed settings, each one the flow leaves out (or undefined) taken from the defaults. They
 * are filled in where they are: the runtime hands a node its settings with hidden properties
 * (`_flow`, `_path`, `_module`) that a copy would lose.
 */
export function withDefaults<D extends object>(type: NodeType, deployed: D): D {
  const settings = deployed as Record<string, unknown>;
  for (const [name, value] of Object.entries(defaultValues(type))) {
    if (settings[name] === undefined) settings[name] = value;
  }
  return deployed;
}
