/**
 * Turns what the AWS SDK and the network throw into an error a flow builder can act on. The fresh
 * error carries a stable code, a few safe params and advice; never the SDK's `$response`, headers,
 * request data or credentials. AWS messages are not copied as they are: some echo item values or,
 * for signature mismatches, the canonical request with its security token.
 */
import type { FailureText } from '../errors/failure-texts';
import { isOwnError } from '../errors/own-error';
import { MemoryServiceError, type FailureCode } from '../errors/service-error';
import { transactionCancellation } from './transaction-cancellation';

/** Where the failing call went, as the connection is set up; action is the call, when known. */
export interface FailurePlace {
  tableName: string;
  region?: string;
  endpoint?: string;
  action?: string;
}

/** The parts of an SDK or Node error this module reads; everything else is left behind. */
interface AwsShape {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  hostname?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown; requestId?: unknown; attempts?: unknown };
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
 * Why DynamoDB refused a request: a plain text for known messages, else the message cut before
 * anything that may echo the request (AWS puts values after a colon, in quotes or brackets).
 */
function validationReason(message: string): { text: FailureText; reason?: string } {
  if (/item size|item collection size/i.test(message)) return { text: 'validation-item-size' };
  if (/size of (hash|range)key|key .*exceeded/i.test(message)) return { text: 'validation-key-size' };
  if (/type mismatch|key element does not match the schema|required keys? was not given a value/i.test(message)) {
    return { text: 'validation-key-schema' };
  }
  if (/empty string/i.test(message)) return { text: 'validation-empty-string' };
  const firstClause = message.split(/[:"'{[(=]/, 1)[0]!.trim().replace(/\.$/, '');
  return firstClause.length > 0 && firstClause.length <= 100 ? { text: 'validation-reason', reason: firstClause } : { text: 'validation-invalid' };
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
  if (isOwnError(error)) return error;
  if (typeof error !== 'object' || error === null) return new Error(String(error));
  const e = error as AwsShape;
  if (!isAwsShaped(e)) return error instanceof Error ? error : new Error(String(error));

  const name = text(e.name);
  const code = text(e.code);
  const message = text(e.message);
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  const params: Record<string, string | number> = { tableName: where.tableName, endpoint: shownEndpoint(where) };
  if (where.region) params['region'] = where.region;
  if (where.action) params['action'] = where.action;
  if (name && name !== 'Error') params['awsError'] = name;
  if (code) params['errorCode'] = code;
  if (status !== undefined) params['httpStatusCode'] = status;
  if (typeof e.$metadata?.requestId === 'string') params['requestId'] = e.$metadata.requestId;
  if (typeof e.$metadata?.attempts === 'number') params['attempts'] = e.$metadata.attempts;
  const call = where.action ? ` (${where.action})` : '';
  const fail = (failureCode: FailureCode, text: FailureText, more: Record<string, string> = {}) =>
    new MemoryServiceError(failureCode, text, { ...params, call, ...more }, params);

  if (name === 'ResourceNotFoundException') {
    // The advice first: the status shows only the start of the message.
    return where.endpoint
      ? fail('table-missing', 'table-missing')
      : fail('table-missing', 'table-missing-region', { region: where.region ?? 'us-east-1' });
  }
  if (name === 'AccessDeniedException' || name === 'AccessDenied') {
    const action = refusedAction(message);
    if (action) params['iamAction'] = action;
    return fail('access-denied', action ? 'access-denied-iam-action' : 'access-denied');
  }
  if (expiredNames.has(name) || /security token .*expired/i.test(message)) return fail('expired-token', 'expired-token');
  if (authenticationNames.has(name)) return fail('bad-keys', 'bad-keys');
  if (name === 'CredentialsProviderError') return fail('no-credentials', 'no-credentials');
  if (/^Region (not accepted|is missing)/.test(message)) return fail('wrong-region', 'wrong-region', { region: where.region ?? '' });
  if (code === 'ENOTFOUND' && !where.endpoint) {
    return fail('wrong-region', 'region-not-found', { region: where.region ?? 'us-east-1' });
  }
  if (networkCodes.has(code) && !timeoutNames.has(name)) return fail('endpoint-unreachable', 'endpoint-unreachable');
  const waiter = waiterOutcome(message);
  if (waiter !== undefined) {
    return waiter === 'TIMEOUT' ? fail('timeout', 'table-not-ready-in-time') : fail('service-error', 'table-not-ready');
  }
  if (timeoutNames.has(name)) return fail('timeout', 'timeout');
  const reasons = transactionCancellation(error)?.reasons ?? [];
  if (throttlingNames.has(name) || reasons.some((r) => throttlingReasons.has(r.code ?? ''))) return fail('throttled', 'throttled');
  // A transaction DynamoDB refused as invalid (a key too long, say) is no conflict: say why.
  const invalid = reasons.find((r) => r.code === 'ValidationError');
  if (invalid) {
    const { text: reasonText, reason } = validationReason(invalid.message ?? '');
    return fail('validation', reasonText, reason !== undefined ? { reason } : {});
  }
  if (name === 'TransactionCanceledException' || name === 'TransactionConflictException' || name === 'ConditionalCheckFailedException') {
    return fail('conflict', 'conflict');
  }
  if (name === 'ValidationException') {
    const { text: reasonText, reason } = validationReason(message);
    return fail('validation', reasonText, reason !== undefined ? { reason } : {});
  }
  if (serviceNames.has(name) || (status !== undefined && status >= 500)) {
    return fail('service-error', 'service-error', { failure: name || `HTTP ${status}` });
  }
  return name ? fail('service-error', 'service-refused', { failure: name }) : fail('service-error', 'service-refused-unknown');
}
