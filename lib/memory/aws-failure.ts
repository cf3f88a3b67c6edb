/**
 * Turns what the AWS SDK and the network throw into an error a flow builder can act on. The fresh
 * error carries a stable code, a few safe params and advice; never the SDK's `$response`, headers,
 * request data or credentials. AWS messages are not copied as they are: some echo item values or,
 * for signature mismatches, the canonical request with its security token.
 */
import { EntityNotFoundError, MemoryInputError, SessionOwnershipError } from './errors';

export type FailureCode =
  | 'table-missing'
  | 'access-denied'
  | 'bad-keys'
  | 'expired-token'
  | 'no-credentials'
  | 'endpoint-unreachable'
  | 'timeout'
  | 'wrong-region'
  | 'throttled'
  | 'conflict'
  | 'service-error'
  | 'validation';

/** Where the failing call went, as the connection is set up; action is the call, when known. */
export interface FailurePlace {
  tableName: string;
  region?: string;
  endpoint?: string;
  action?: string;
}

/** Values safe to show and log: names and numbers, never request data or secrets. */
export type FailureParams = Readonly<Record<string, string | number>>;

/** A DynamoDB call or the way to it failed; the message says what to do about it. */
export class MemoryServiceError extends Error {
  override name = 'MemoryServiceError';
  constructor(
    readonly code: FailureCode,
    message: string,
    readonly params: FailureParams,
  ) {
    super(message);
  }
}

/** The parts of an SDK or Node error this module reads; everything else is left behind. */
interface AwsShape {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  hostname?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown; requestId?: unknown; attempts?: unknown };
  CancellationReasons?: Array<{ Code?: unknown }>;
}

const authenticationNames = new Set([
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'IncompleteSignatureException',
  'MissingAuthenticationTokenException',
  'InvalidClientTokenId',
]);
const expiredNames = new Set(['ExpiredTokenException', 'ExpiredToken', 'TokenRefreshRequired']);
const throttlingNames = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'LimitExceededException',
  'TooManyRequestsException',
]);
const serviceNames = new Set(['InternalServerError', 'InternalFailure', 'ServiceUnavailable', 'ServiceUnavailableException']);
const timeoutNames = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
/** Node socket and DNS codes that mean the endpoint could not be reached at all. */
const networkCodes = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ECONNABORTED',
]);
const throttlingReasons = new Set(['ThrottlingError', 'ProvisionedThroughputExceeded', 'RequestLimitExceeded']);

/** Errors whose message the pack wrote for flow builders: they pass through unchanged. */
function isOwnError(error: unknown): boolean {
  return (
    error instanceof MemoryServiceError ||
    error instanceof MemoryInputError ||
    error instanceof SessionOwnershipError ||
    error instanceof EntityNotFoundError
  );
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** The endpoint as it may be shown: scheme, host and port, without user info, path or query. */
function shownEndpoint(where: FailurePlace): string {
  if (where.endpoint) {
    try {
      const url = new URL(where.endpoint);
      return `${url.protocol}//${url.host}`;
    } catch {
      return 'the configured endpoint';
    }
  }
  return `https://dynamodb.${where.region ?? 'us-east-1'}.amazonaws.com`;
}

/**
 * A validation message cut before anything that may echo the request: AWS puts values after a colon,
 * in quotes or brackets. Known messages get a plain reason instead.
 */
function validationReason(message: string): string {
  if (/item size|item collection size/i.test(message)) return 'an item is larger than DynamoDB allows (400 KB)';
  if (/size of (hash|range)key|key .*exceeded/i.test(message)) return 'a key is longer than DynamoDB allows';
  if (/type mismatch|key element does not match the schema|required keys? was not given a value/i.test(message)) {
    return "the table's keys are not the ones the memory nodes use: point the connection at a table made for them";
  }
  if (/empty string/i.test(message)) return 'an empty string where DynamoDB does not allow one';
  const firstClause = message.split(/[:"'{[(=]/, 1)[0]!.trim().replace(/\.$/, '');
  return firstClause.length > 0 && firstClause.length <= 100 ? firstClause : 'the request was invalid';
}

/** The IAM action named in an AccessDenied message ("... not authorized to perform: dynamodb:PutItem on ..."). */
function refusedAction(message: string): string | undefined {
  return /perform:\s*(dynamodb:[A-Za-z]+)/.exec(message)?.[1];
}

/** The state of an SDK waiter that gave up (its message is the waiter's result as JSON, responses included). */
function waiterOutcome(message: string): string | undefined {
  return /^\{"state":"([A-Z]+)"/.exec(message)?.[1];
}

function isAwsShaped(e: AwsShape): boolean {
  return (
    e.$metadata !== undefined ||
    e.$fault !== undefined ||
    timeoutNames.has(text(e.name)) ||
    networkCodes.has(text(e.code)) ||
    text(e.name) === 'CredentialsProviderError' ||
    waiterOutcome(text(e.message)) !== undefined ||
    /^Region (not accepted|is missing)/.test(text(e.message))
  );
}

/**
 * The plain-language error for a failed DynamoDB call. The pack's own errors, and anything that is
 * not from the SDK or the network, come back unchanged (a non-Error value as an Error).
 */
export function explainAwsFailure(error: unknown, where: FailurePlace): Error {
  if (isOwnError(error)) return error as Error;
  if (typeof error !== 'object' || error === null) return new Error(String(error));
  const e = error as AwsShape;
  if (!isAwsShaped(e)) return error instanceof Error ? error : new Error(String(error));

  const name = text(e.name);
  const code = text(e.code);
  const message = text(e.message);
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  const table = `table "${where.tableName}"`;
  const call = where.action ? ` (${where.action})` : '';
  const params: Record<string, string | number> = { tableName: where.tableName, endpoint: shownEndpoint(where) };
  if (where.region) params['region'] = where.region;
  if (where.action) params['action'] = where.action;
  if (name && name !== 'Error') params['awsError'] = name;
  if (code) params['errorCode'] = code;
  if (status !== undefined) params['httpStatusCode'] = status;
  if (typeof e.$metadata?.requestId === 'string') params['requestId'] = e.$metadata.requestId;
  if (typeof e.$metadata?.attempts === 'number') params['attempts'] = e.$metadata.attempts;
  const fail = (failureCode: FailureCode, advice: string) => new MemoryServiceError(failureCode, advice, params);

  if (name === 'ResourceNotFoundException') {
    // The advice first: the status shows only the start of the message.
    const elsewhere = where.endpoint ? '' : ` (looked in ${where.region ?? 'us-east-1'}: if the table is in another region, set that region)`;
    return fail('table-missing', `${table} is missing: enable "create table" in the connection, or click Create table${elsewhere}`);
  }
  if (name === 'AccessDeniedException' || name === 'AccessDenied') {
    const action = refusedAction(message);
    if (action) params['iamAction'] = action;
    return fail(
      'access-denied',
      `access denied: these credentials may not ${action ? `call ${action}` : 'make this call'}${call} on ${table}: allow it in their IAM policy (deploy/iam-policy.json lists every action the nodes use)`,
    );
  }
  if (expiredNames.has(name) || /security token .*expired/i.test(message)) {
    return fail('expired-token', 'the session token has expired: enter fresh temporary credentials in the connection, or use the credential chain');
  }
  if (authenticationNames.has(name)) {
    return fail('bad-keys', "the access key id or secret is wrong: check the connection's credentials");
  }
  if (name === 'CredentialsProviderError') {
    return fail('no-credentials', 'no AWS credentials found: set access keys in the connection, or give Node-RED a role, profile or environment variables');
  }
  if (/^Region (not accepted|is missing)/.test(message)) {
    return fail('wrong-region', `"${where.region ?? ''}" is not an AWS region: set the table's region in the connection, e.g. eu-west-1`);
  }
  if (code === 'ENOTFOUND' && !where.endpoint) {
    return fail(
      'wrong-region',
      `cannot find ${shownEndpoint(where)}: check that "${where.region ?? 'us-east-1'}" is the table's AWS region, and the network`,
    );
  }
  if (networkCodes.has(code) && !timeoutNames.has(name)) {
    return fail('endpoint-unreachable', `cannot reach DynamoDB at ${shownEndpoint(where)}: check the endpoint and the network`);
  }
  const waiter = waiterOutcome(message);
  if (waiter !== undefined) {
    return fail(
      waiter === 'TIMEOUT' ? 'timeout' : 'service-error',
      `${table} did not become ready${waiter === 'TIMEOUT' ? ' in time' : ''}: DynamoDB may still be creating it; check the table, then send the msg again`,
    );
  }
  if (timeoutNames.has(name)) {
    return fail(
      'timeout',
      `DynamoDB at ${shownEndpoint(where)} did not answer in time${call}: check the endpoint and the network, or raise the request timeout`,
    );
  }
  const reasons = (e.CancellationReasons ?? []).map((r) => text(r.Code));
  if (throttlingNames.has(name) || reasons.some((r) => throttlingReasons.has(r))) {
    return fail('throttled', `DynamoDB is throttling: retries exhausted${call} on ${table}; send the msg again later, or raise the table's capacity or max attempts`);
  }
  if (name === 'TransactionCanceledException' || name === 'TransactionConflictException' || name === 'ConditionalCheckFailedException') {
    return fail('conflict', `another write to the same items got in first${call} on ${table}, retries exhausted: send the msg again`);
  }
  if (name === 'ValidationException') {
    return fail('validation', `DynamoDB refused the request${call} on ${table}: ${validationReason(message)}`);
  }
  if (serviceNames.has(name) || (status !== undefined && status >= 500)) {
    return fail('service-error', `DynamoDB failed${call} (${name || `HTTP ${status}`}), retries exhausted: send the msg again later`);
  }
  return fail('service-error', `DynamoDB refused the request${call} on ${table} (${name || 'unknown error'})`);
}
