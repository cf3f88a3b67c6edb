import { EntityNotFoundError, MemoryInputError, SessionOwnershipError } from './input-errors';
import { MemoryServiceError } from './service-error';

/** The errors whose message the pack wrote for flow builders, from a text id and its values. */
export type OwnError = MemoryServiceError | MemoryInputError | SessionOwnershipError | EntityNotFoundError;

/** Own errors pass through explainAwsFailure unchanged, and Node-RED tells them in its language. */
export function isOwnError(error: unknown): error is OwnError {
  return (
    error instanceof MemoryServiceError ||
    error instanceof MemoryInputError ||
    error instanceof SessionOwnershipError ||
    error instanceof EntityNotFoundError
  );
}
