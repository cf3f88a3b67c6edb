/**
 * Errors the memory core throws on purpose. Their messages are written for flow builders: they
 * reach a Catch node and the node status as they are.
 */

/** The request is wrong; nothing was read or written. */
export class MemoryInputError extends Error {
  override name = 'MemoryInputError';
}

/** The session belongs to another user; nothing was read or written. */
export class SessionOwnershipError extends Error {
  override name = 'SessionOwnershipError';
  constructor(readonly sessionId: string) {
    super(`session "${sessionId}" belongs to another user`);
  }
}
