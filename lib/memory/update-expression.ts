/**
 * Builds an UpdateItem expression with every attribute name behind a placeholder, so no attribute
 * ever collides with DynamoDB's long list of reserved words.
 */
export interface UpdateParts {
  set?: Record<string, unknown>;
  setIfNotExists?: Record<string, unknown>;
  add?: Record<string, number>;
  remove?: string[];
}

export interface UpdateExpression {
  UpdateExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
}

export function updateExpression(parts: UpdateParts): UpdateExpression {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  let n = 0;
  const name = (attribute: string) => {
    const placeholder = `#a${n++}`;
    names[placeholder] = attribute;
    return placeholder;
  };
  const value = (v: unknown) => {
    const placeholder = `:v${n++}`;
    values[placeholder] = v;
    return placeholder;
  };
  const sets = [
    ...Object.entries(parts.set ?? {}).map(([k, v]) => `${name(k)} = ${value(v)}`),
    ...Object.entries(parts.setIfNotExists ?? {}).map(([k, v]) => {
      const placeholder = name(k);
      return `${placeholder} = if_not_exists(${placeholder}, ${value(v)})`;
    }),
  ];
  const adds = Object.entries(parts.add ?? {}).map(([k, v]) => `${name(k)} ${value(v)}`);
  const removes = (parts.remove ?? []).map(name);
  const clauses = [
    sets.length ? `SET ${sets.join(', ')}` : '',
    adds.length ? `ADD ${adds.join(', ')}` : '',
    removes.length ? `REMOVE ${removes.join(', ')}` : '',
  ].filter(Boolean);
  return {
    UpdateExpression: clauses.join(' '),
    ExpressionAttributeNames: names,
    ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
  };
}
