/**
 * What DynamoDB says when it cancels a TransactWriteItems, read in one place: every caller decides
 * by the reasons (retry, report a missing entity, tell a session's owner apart), and the error's
 * shape is the SDK's, not a type the compiler checks.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { transientReasons } from './retry';

/** Why DynamoDB cancelled one action of the transaction. */
export interface CancellationReason {
  /** `None` for an action that was fine; e.g. `ConditionalCheckFailed`, `TransactionConflict`, `ValidationError`. */
  code?: string;
  /** DynamoDB's words; for a ValidationError they may echo the request's values. */
  message?: string;
  /**
   * The item as it was, for an action with `ReturnValuesOnConditionCheckFailure: 'ALL_OLD'` whose
   * condition failed. Raw AttributeValues (`{ S: 'ana' }`): the document client does not unmarshall errors.
   */
  oldItem?: Record<string, AttributeValue>;
}

export interface TransactionCancellation {
  /** One reason a transaction action, in the actions' order. */
  reasons: CancellationReason[];
  /** The reasons' codes, in the actions' order. */
  codes: Array<string | undefined>;
  /** Some action was cancelled for a reason that says "not now" rather than "no": worth another attempt. */
  transient: boolean;
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
}

function reason(raw: unknown): CancellationReason {
  const { Code, Message, Item } = asObject(raw) ?? {};
  const oldItem = asObject(Item) as Record<string, AttributeValue> | undefined;
  return {
    ...(typeof Code === 'string' ? { code: Code } : {}),
    ...(typeof Message === 'string' ? { message: Message } : {}),
    ...(oldItem ? { oldItem } : {}),
  };
}

/** The cancellation an error reports, or undefined when it is not a TransactionCanceledException. */
export function transactionCancellation(error: unknown): TransactionCancellation | undefined {
  const e = asObject(error);
  if (e?.['name'] !== 'TransactionCanceledException') return undefined;
  const raw = e['CancellationReasons'];
  const reasons = Array.isArray(raw) ? raw.map(reason) : [];
  const codes = reasons.map((r) => r.code);
  return { reasons, codes, transient: codes.some((code) => code !== undefined && transientReasons.has(code)) };
}
