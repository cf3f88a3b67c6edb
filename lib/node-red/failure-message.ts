/**
 * The pack's own errors in the runtime's language. Their texts live in the config node's catalog
 * (`errors.<text>`: DynamoDB failures and, under `errors.input.`, invalid input), which every node
 * reaches by the registry's namespace for it: the module name, a slash and the node type.
 */
import { isOwnError } from '../errors/own-error';

const errorCatalog = '@flowmemory/node-red-dynamodb/dynamodb-memory-config';

/** `RED._`: a catalog text by key, with `__name__` placeholders filled from values. */
export type Translate = (key: string, values?: Record<string, string | number>) => string;

/**
 * The error with its message in the runtime's language; any other error as it is. Where no
 * catalog is loaded (node-red-node-test-helper, lib/ without Node-RED) the translation comes back
 * as the key, and the English message stays.
 */
export function localizedFailure(failure: Error, translate: Translate): Error {
  if (!isOwnError(failure)) return failure;
  const key = `dynamodb-memory-config.errors.${failure.text}`;
  const message = translate(`${errorCatalog}:${key}`, failure.values);
  if (message.endsWith(key)) return failure;
  return failure.withMessage(message);
}
