/**
 * What the graph-link node (and `MemoryGraph`) accepts: a scope (a user's graph or a named graph)
 * and, per operation, the input the node reads from msg.payload.
 */
import * as field from './fields';
import { parser, type FromSchema, type Schema } from './validator';

export const graphOperations = ['entity', 'link', 'unlink', 'neighbours', 'relations'] as const;
export type GraphOperation = (typeof graphOperations)[number];

export const graphOperationSchema = {
  type: 'object',
  required: ['operation'],
  properties: {
    operation: {
      type: 'string',
      enum: graphOperations,
      errorText: 'input.one-of',
    },
  },
} as const;
export const parseGraphOperation = parser(graphOperationSchema);

/** A user's own graph. */
export const userScopeSchema = {
  type: 'object',
  required: ['userId'],
  additionalProperties: false,
  properties: { userId: field.id },
} as const;
export const parseUserScope = parser(userScopeSchema);

/** A named graph, shared by whoever names it. */
export const namedScopeSchema = {
  type: 'object',
  required: ['graph'],
  additionalProperties: false,
  properties: { graph: field.id },
} as const;
export const parseNamedScope = parser(namedScopeSchema);

/** Free-form JSON kept with an entity or a relationship. */
const properties = { type: 'object', jsonSafe: true, errorText: 'input.json-object' } as const;

const alias = {
  type: 'string',
  minLength: 1,
  maxLength: 256,
  errorText: 'input.alias',
} as const;

const limit = { type: 'integer', minimum: 1, maximum: 1000, errorText: 'input.whole-number' } as const;

export const entityRequestSchema = {
  type: 'object',
  required: ['id', 'type'],
  additionalProperties: false,
  properties: {
    id: field.id,
    type: field.id,
    /** Replace the stored aliases; absent: the stored ones stay (none for a new entity). */
    aliases: { type: 'array', maxItems: 100, items: alias, errorText: 'input.aliases' },
    /** Merged into the stored properties, top level only; a key set to null is removed. */
    properties,
  },
} as const;

export const linkRequestSchema = {
  type: 'object',
  required: ['source', 'relation', 'target'],
  additionalProperties: false,
  properties: {
    source: field.id,
    relation: field.id,
    target: field.id,
    properties,
    /** Default: now. */
    validFrom: field.instant,
    /** Default: open (valid until unlinked). */
    validTo: field.instant,
  },
} as const;

export const unlinkRequestSchema = {
  type: 'object',
  required: ['source', 'relation', 'target'],
  additionalProperties: false,
  properties: { source: field.id, relation: field.id, target: field.id },
} as const;

export const neighboursRequestSchema = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: {
    id: field.id,
    direction: { type: 'string', enum: ['out', 'in', 'both'], errorText: 'input.one-of' },
    relation: field.id,
    /** Edges valid at this time (validFrom ≤ at < validTo); default: now. */
    at: field.instant,
    /** At most this many edges per direction (default 100). */
    limit,
  },
} as const;

export const relationsRequestSchema = {
  type: 'object',
  required: ['relation'],
  additionalProperties: false,
  properties: {
    relation: field.id,
    /** At most this many edges in this page (default 20). */
    limit,
    /** The `cursor` of the previous page, to read the next one. */
    cursor: {
      type: 'string',
      minLength: 1,
      maxLength: 4096,
      pattern: '^[A-Za-z0-9_-]+$',
      errorText: 'input.page-cursor',
    },
  },
} as const;

export type EntityRequest = FromSchema<typeof entityRequestSchema>;
export type LinkRequest = FromSchema<typeof linkRequestSchema>;
export type UnlinkRequest = FromSchema<typeof unlinkRequestSchema>;
export type NeighboursRequest = FromSchema<typeof neighboursRequestSchema>;
export type RelationsRequest = FromSchema<typeof relationsRequestSchema>;

export const parseEntityRequest = parser(entityRequestSchema);
export const parseLinkRequest = parser(linkRequestSchema);
export const parseUnlinkRequest = parser(unlinkRequestSchema);
export const parseNeighboursRequest = parser(neighboursRequestSchema);
export const parseRelationsRequest = parser(relationsRequestSchema);

/** The same request schemas as a msg's `payload`, so the node's errors name `payload.<field>`. */
function payloadParser<const S extends Schema>(schema: S) {
  const parse = parser({ type: 'object', required: ['payload'], properties: { payload: schema } } as Schema);
  return (input: unknown) => (parse(input) as { payload: unknown }).payload as FromSchema<S>;
}

export const parseGraphPayload = {
  entity: payloadParser(entityRequestSchema),
  link: payloadParser(linkRequestSchema),
  unlink: payloadParser(unlinkRequestSchema),
  neighbours: payloadParser(neighboursRequestSchema),
  relations: payloadParser(relationsRequestSchema),
};
