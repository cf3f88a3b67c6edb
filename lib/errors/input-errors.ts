/**
 * Errors the memory core throws on purpose. Their messages are written for flow builders: they
 * reach a Catch node and the node status as they are. Each keeps the text id and values its
 * message is made of (input-texts.ts), so Node-RED can show it in the runtime's language.
 */
import { fillIn } from './fill-in';
import { inputTexts, type InputText } from './input-texts';

/** Values of a message's placeholders: names and numbers from the request, never secrets. */
export type TextValues = Readonly<Record<string, string | number>>;

/** The request is wrong; nothing was read or written. The message is the English one unless given. */
export class MemoryInputError extends Error {
  override name = 'MemoryInputError';
  constructor(
    readonly text: InputText,
    readonly values: TextValues = {},
    message = fillIn(inputTexts[text], values),
  ) {
    super(message);
  }

  /** The same error, told in another language. */
  withMessage(message: string): MemoryInputError {
    return new MemoryInputError(this.text, this.values, message);
  }
}

/** The session belongs to another user; nothing was read or written. */
export class SessionOwnershipError extends Error {
  override name = 'SessionOwnershipError';
  readonly text = 'input.session-owner' satisfies InputText;
  readonly values: TextValues;
  constructor(
    readonly sessionId: string,
    message = fillIn(inputTexts['input.session-owner'], { sessionId }),
  ) {
    super(message);
    this.values = { sessionId };
  }

  withMessage(message: string): SessionOwnershipError {
    return new SessionOwnershipError(this.sessionId, message);
  }
}

/** A link names an entity (or two: source and target) its graph does not have; nothing was written. */
export class EntityNotFoundError extends Error {
  override name = 'EntityNotFoundError';
  readonly text: InputText;
  readonly values: TextValues;
  constructor(
    readonly entityIds: string[],
    message?: string,
  ) {
    const [first, second] = entityIds as [string, string?];
    const text = second === undefined ? 'input.entity-missing' : 'input.entities-missing';
    const values: TextValues = second === undefined ? { entityId: first } : { source: first, target: second };
    super(message ?? fillIn(inputTexts[text], values));
    this.text = text;
    this.values = values;
  }

  withMessage(message: string): EntityNotFoundError {
    return new EntityNotFoundError(this.entityIds, message);
  }
}
