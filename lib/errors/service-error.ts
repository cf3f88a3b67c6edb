import { failureTexts, type FailureText } from './failure-texts';
import { fillIn } from './fill-in';

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

/** Values safe to show and log: names and numbers, never request data or secrets. */
export type FailureParams = Readonly<Record<string, string | number>>;

/**
 * A DynamoDB call or the way to it failed; the message says what to do about it. `text` and
 * `values` are what the message is made of, so it can be shown in another language; the message
 * is the English one unless given.
 */
export class MemoryServiceError extends Error {
  override name = 'MemoryServiceError';
  constructor(
    readonly code: FailureCode,
    readonly text: FailureText,
    readonly values: FailureParams,
    readonly params: FailureParams,
    message = fillIn(failureTexts[text], values),
  ) {
    super(message);
  }

  /** The same error, told in another language. */
  withMessage(message: string): MemoryServiceError {
    return new MemoryServiceError(this.code, this.text, this.values, this.params, message);
  }
}
