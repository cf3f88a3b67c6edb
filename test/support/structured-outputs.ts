/**
 * What OpenAI checks of a chat-completions request's `response_format` before a model sees it, and
 * how a structured answer comes back, for the LLM stub (llm-stubs.ts). From OpenAI's structured
 * outputs guide: with `strict: true` the root is an object (not `anyOf`), every object lists all its
 * properties in `required` and sets `additionalProperties: false`, and only the supported keywords
 * appear; a schema that breaks a rule is a 400 `invalid_request_error` naming where. The answer is
 * the JSON text in `message.content`, guaranteed to match the schema: the stub holds its scripted
 * answers to that guarantee with ajv.
 */
import Ajv from 'ajv';

const supported = new Set([
  'type', 'properties', 'required', 'additionalProperties', 'items', 'anyOf', 'enum', 'const', 'description', 'title',
  'pattern', 'format', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'minItems', 'maxItems', '$defs', '$ref',
]);

/** The problem OpenAI would answer with for a strict schema, or undefined when it takes it. */
export function strictSchemaProblem(schema: unknown, context: string[] = []): string | undefined {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return `In context=(${context.join(', ')}), schema must be a JSON Schema object`;
  const node = schema as Record<string, unknown>;
  if (context.length === 0 && node['type'] !== 'object') return "schema must be a JSON Schema of 'type: \"object\"', got 'type: \"" + String(node['type']) + "\"'.";
  for (const keyword of Object.keys(node)) {
    if (!supported.has(keyword)) return `In context=(${context.join(', ')}), '${keyword}' is not permitted.`;
  }
  const types = Array.isArray(node['type']) ? node['type'] : [node['type']];
  if (types.includes('object')) {
    if (node['additionalProperties'] !== false) return `In context=(${context.join(', ')}), 'additionalProperties' is required to be supplied and to be false.`;
    const properties = Object.keys((node['properties'] as object | undefined) ?? {});
    const required = (node['required'] as string[] | undefined) ?? [];
    const missing = properties.filter((name) => !required.includes(name));
    if (missing.length > 0) return `In context=(${context.join(', ')}), 'required' is required to be supplied and to be an array including every key in properties. Missing '${missing[0]}'.`;
  }
  const parts: Array<[string, unknown]> = Object.entries((node['properties'] as Record<string, unknown> | undefined) ?? {}).map(([name, part]) => [`'properties', '${name}'`, part]);
  if (node['items'] !== undefined) parts.push([`'items'`, node['items']]);
  ((node['anyOf'] as unknown[] | undefined) ?? []).forEach((part, i) => parts.push([`'anyOf', '${i}'`, part]));
  for (const [where, part] of parts) {
    const problem = strictSchemaProblem(part, [...context, where]);
    if (problem) return problem;
  }
  return undefined;
}

/** The `response_format` problem OpenAI answers 400 for, or undefined. */
export function responseFormatProblem(format: unknown): string | undefined {
  const f = format as { type?: unknown; json_schema?: { name?: unknown; schema?: unknown; strict?: unknown } };
  if (!['text', 'json_object', 'json_schema'].includes(String(f?.type))) return `Invalid value: '${String(f?.type)}'. Supported values are: 'json_object', 'json_schema', and 'text'.`;
  if (f.type !== 'json_schema') return undefined;
  if (typeof f.json_schema?.name !== 'string' || !/^[a-zA-Z0-9_-]{1,64}$/.test(f.json_schema.name)) return "Missing required parameter: 'response_format.json_schema.name'.";
  if (f.json_schema.strict !== true) return undefined;
  const problem = strictSchemaProblem(f.json_schema.schema);
  return problem === undefined ? undefined : `Invalid schema for response_format '${f.json_schema.name}': ${problem}`;
}

const ajv = new Ajv({ strict: false, allErrors: true });

/** Throws when a scripted answer breaks the schema a real model's answer is guaranteed to keep. */
export function assertMatchesSchema(answer: unknown, schema: unknown): void {
  const validate = ajv.compile(schema as object);
  if (!validate(answer)) throw new Error(`the stub's scripted answer breaks the request's schema: ${ajv.errorsText(validate.errors)}`);
}
