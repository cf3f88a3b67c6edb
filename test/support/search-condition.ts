/**
 * A SearchVectors condition as DynamoDB accepts it: equalities between search-schema attributes and
 * values, joined by AND, with the HASH attribute always among them. The messages DynamoDB's
 * troubleshooting page quotes are used word for word; the rest are the double's own.
 */
import type { AttributeValue, SearchSchemaElement } from '@aws-sdk/client-dynamodb';

/** A request DynamoDB refuses as a ValidationException, with its message. */
export class ValidationError extends Error {}

export interface SearchCondition {
  expression?: string;
  names?: Record<string, string>;
  values?: Record<string, AttributeValue>;
}

const equality = /^\s*(#?[A-Za-z0-9_]+)\s*=\s*(:[A-Za-z0-9_]+)\s*$/;

/** Attribute name → the value it must equal, for every attribute the condition names. */
export function searchEqualities(condition: SearchCondition, schema: SearchSchemaElement[]): Map<string, AttributeValue> {
  const hash = schema.find((element) => element.SearchSchemaElementType === 'HASH')?.AttributeName;
  const hashMissing = 'SearchConditionExpression must be provided when SearchSchema has a HASH key';
  if (condition.expression === undefined) {
    if (hash !== undefined) throw new ValidationError(hashMissing);
    return new Map();
  }
  const equalities = new Map<string, AttributeValue>();
  for (const clause of condition.expression.split(/\s+AND\s+/i)) {
    const [, nameToken, valueToken] = equality.exec(clause) ?? [];
    if (nameToken === undefined || valueToken === undefined) throw new ValidationError('Invalid comparator used in SearchConditionExpression');
    const name = nameToken.startsWith('#') ? condition.names?.[nameToken] : nameToken;
    if (name === undefined) throw new ValidationError(`An expression attribute name used in the document path is not defined; attribute name: ${nameToken}`);
    const value = condition.values?.[valueToken];
    if (value === undefined) throw new ValidationError(`An expression attribute value used in expression is not defined; attribute value: ${valueToken}`);
    if (!schema.some((element) => element.AttributeName === name)) {
      throw new ValidationError(`SearchConditionExpression may only name attributes of the index's SearchSchema: ${name}`);
    }
    equalities.set(name, value);
  }
  if (hash !== undefined && !equalities.has(hash)) throw new ValidationError(hashMissing);
  return equalities;
}
