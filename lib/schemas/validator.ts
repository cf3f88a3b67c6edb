/**
 * The one ajv instance. Every request schema is compiled here, and `parser` turns a schema into a
 * function that narrows unknown input to the schema's TypeScript type or throws a MemoryInputError
 * whose message a flow builder can act on.
 */
import Ajv, { type ErrorObject } from 'ajv';
import type { ExtendedJSONSchema, FromExtendedSchema } from 'json-schema-to-ts';
import { MemoryInputError } from '../memory/errors';
import { jsonSafetyProblem } from './json-safety';

/** Schema keywords this pack adds to JSON Schema. */
export type SchemaExtension = { jsonSafe?: boolean };
export type Schema = ExtendedJSONSchema<SchemaExtension>;
export type FromSchema<S extends Schema> = FromExtendedSchema<SchemaExtension, S>;

const ajv = new Ajv({ allErrors: false, verbose: true, strict: true, allowUnionTypes: true });

ajv.addKeyword({
  keyword: 'jsonSafe',
  schemaType: 'boolean',
  errors: true,
  validate: function jsonSafe(enabled: boolean, data: unknown): boolean {
    if (!enabled) return true;
    const problem = jsonSafetyProblem(data);
    (jsonSafe as unknown as { errors: Partial<ErrorObject>[] }).errors = problem
      ? [{ keyword: 'jsonSafe', message: problem, params: {} }]
      : [];
    return problem === undefined;
  },
});

ajv.addFormat('instant', (text: string) => !Number.isNaN(Date.parse(text)));

/**
 * Of the errors ajv reports, the deepest says the most: for `anyOf` it is the branch that got
 * furthest ("payload.role: must be one of ..."), not "must match a schema in anyOf".
 */
function mostSpecific(errors: ErrorObject[]): ErrorObject {
  return errors.reduce((best, e) => (e.instancePath.length >= best.instancePath.length ? e : best));
}

function describe(error: ErrorObject): string {
  const field = error.instancePath.replace(/^\//, '').replace(/\//g, '.');
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty: string }).missingProperty;
    return `${field ? field + '.' : ''}${missing} is required`;
  }
  if (error.keyword === 'additionalProperties') {
    const extra = (error.params as { additionalProperty: string }).additionalProperty;
    return `${field ? field + ': ' : ''}unknown property "${extra}"`;
  }
  if (error.keyword === 'propertyNames') {
    // Names the offending key with its own schema's description, not the object's.
    const key = (error.params as { propertyName: string }).propertyName;
    const rule = (error.schema as { description?: string } | undefined)?.description ?? 'is not allowed';
    return `${field || 'input'}: the key "${key}" ${rule}`;
  }
  if (error.keyword === 'jsonSafe') return `${field || 'input'}: ${error.message}`;
  const description = (error.parentSchema as { description?: string } | undefined)?.description;
  return `${field || 'input'}: ${description ?? error.message}`;
}

/** A function that returns its input typed as the schema says, or throws a MemoryInputError. */
export function parser<const S extends Schema>(schema: S): (input: unknown) => FromSchema<S> {
  const validate = ajv.compile(schema as object);
  return (input: unknown) => {
    if (!validate(input)) throw new MemoryInputError(describe(mostSpecific(validate.errors!)));
    return input as FromSchema<S>;
  };
}
