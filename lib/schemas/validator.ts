/**
 * The one ajv instance. Every request schema is compiled here, and `parser` turns a schema into a
 * function that narrows unknown input to the schema's TypeScript type or throws a MemoryInputError
 * whose message a flow builder can act on, in any language the catalogs have (input-texts.ts).
 */
import Ajv, { type ErrorObject } from 'ajv';
import type { ExtendedJSONSchema, FromExtendedSchema } from 'json-schema-to-ts';
import { MemoryInputError, type TextValues } from '../errors/input-errors';
import type { InputText } from '../errors/input-texts';
import { jsonSafetyProblem, type JsonSafetyProblem } from './json-safety';

/**
 * Schema keywords this pack adds to JSON Schema. `errorText` is what a flow builder reads when the
 * value is wrong: a text id, so the type checker knows each one has an English text.
 */
export type SchemaExtension = { jsonSafe?: boolean; errorText?: InputText };
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
      ? [{ keyword: 'jsonSafe', params: problem }]
      : [];
    return problem === undefined;
  },
});

ajv.addKeyword({ keyword: 'errorText', schemaType: 'string' });

ajv.addFormat('instant', (text: string) => !Number.isNaN(Date.parse(text)));

/**
 * Of the errors ajv reports, the deepest says the most: for `anyOf` it is the branch that got
 * furthest ("payload.role: must be one of ..."), not the `anyOf` itself.
 */
function mostSpecific(errors: ErrorObject[]): ErrorObject {
  return errors.reduce((best, e) => (e.instancePath.length >= best.instancePath.length ? e : best));
}

type RuleSchema = { errorText?: InputText; enum?: unknown[] } & Record<string, unknown>;

/**
 * A rule's text and what fills it from the schema: its limits (`maxLength`, `minimum`, …) by
 * keyword, and its enum as `__choices__`, so the message says what the schema says.
 */
function rule(schema: RuleSchema | undefined, field: string): { text: InputText; values: TextValues } {
  const values: Record<string, string | number> = { field };
  for (const [keyword, value] of Object.entries(schema ?? {})) if (typeof value === 'number') values[keyword] = value;
  if (schema?.enum) values['choices'] = schema.enum.map((choice) => JSON.stringify(choice)).join(', ');
  return { text: schema?.errorText ?? 'input.invalid', values };
}

function describe(error: ErrorObject): MemoryInputError {
  const field = error.instancePath.replace(/^\//, '').replace(/\//g, '.');
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty: string }).missingProperty;
    return new MemoryInputError('input.required', { field: field ? `${field}.${missing}` : missing });
  }
  if (error.keyword === 'additionalProperties') {
    const property = (error.params as { additionalProperty: string }).additionalProperty;
    return new MemoryInputError('input.unknown-property', { field: field || 'input', property });
  }
  if (error.keyword === 'propertyNames') {
    // Names the offending key by its own schema's rule, not the object's.
    const { text, values } = rule(error.schema as RuleSchema, field || 'input');
    return new MemoryInputError(text, { ...values, key: (error.params as { propertyName: string }).propertyName });
  }
  if (error.keyword === 'jsonSafe') {
    const { text, values } = error.params as JsonSafetyProblem;
    return new MemoryInputError(text, { field: field || 'input', ...values });
  }
  const { text, values } = rule(error.parentSchema as RuleSchema, field || 'input');
  return new MemoryInputError(text, values);
}

/** A function that returns its input typed as the schema says, or throws a MemoryInputError. */
export function parser<const S extends Schema>(schema: S): (input: unknown) => FromSchema<S> {
  const validate = ajv.compile(schema as object);
  return (input: unknown) => {
    if (!validate(input)) throw describe(mostSpecific(validate.errors!));
    return input as FromSchema<S>;
  };
}

/** Whether the input fits the schema, for telling shapes apart before one is parsed. */
export function matcher(schema: Schema): (input: unknown) => boolean {
  const validate = ajv.compile(schema as object);
  return (input: unknown) => validate(input);
}
