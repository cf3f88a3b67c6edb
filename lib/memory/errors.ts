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

/** A link names an entity its graph does not have; nothing was written. */
export class EntityNotFoundError extends Error {
  override name = 'EntityNotFoundError';
  constructor(readonly entityIds: string[]) {
    super(`${entityIds.map((id) => `entity "${id}"`).join(' and ')} ${entityIds.length > 1 ? 'are' : 'is'} not in this graph: upsert ${entityIds.length > 1 ? 'them' : 'it'} first; nothing was written`);
  }
}
