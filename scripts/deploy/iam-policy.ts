/**
 * IAM policy statements for the pack, from lib/memory/table-access.ts: one statement per scope, so
 * the create-table option's permissions are one statement an operator can drop. Resources are a
 * type parameter, so the same statements serve the JSON policy (ARN patterns) and the CloudFormation
 * stack (the table's own ARN).
 */
import { tableAccess, type AccessScope } from '../../lib/memory/table-access';
import { defaultTableName, prefix, userIndex, vectorIndexName } from '../../lib/memory/table-layout';

export const statementIds: Record<AccessScope, string> = {
  items: 'ChatMemoryItems',
  index: 'ChatMemoryUserIndex',
  vectorIndex: 'ChatMemoryVectorSearch',
  tableSetup: 'TableSetup',
};

export interface Statement<Resource> {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: Resource;
  Condition?: Record<string, Record<string, unknown>>;
}

export interface Resources<Resource> {
  table: Resource;
  index: Resource;
  vectorIndex: Resource;
}

/** The resource a scope's actions are authorized on: SearchVectors on the vector index's ARN, as a Query on an index's. */
const scopeResource: Record<AccessScope, keyof Resources<unknown>> = {
  items: 'table',
  index: 'index',
  vectorIndex: 'vectorIndex',
  tableSetup: 'table',
};

export function statement<Resource>(scope: AccessScope, resources: Resources<Resource>): Statement<Resource> {
  return {
    Sid: statementIds[scope],
    Effect: 'Allow',
    Action: [...new Set(tableAccess.filter((access) => access.scope === scope).map((access) => access.action))],
    Resource: resources[scopeResource[scope]],
  };
}

/** Any region and account; an operator narrows them (and the name) by editing the ARNs. */
const tableArn = `arn:aws:dynamodb:*:*:table/${defaultTableName}`;
const patternResources: Resources<string> = {
  table: tableArn,
  index: `${tableArn}/index/${userIndex}`,
  vectorIndex: `${tableArn}/index/${vectorIndexName}`,
};

/**
 * deploy/iam-policy.json: everything the pack calls, on the default table and its indexes (the
 * vector index's statement allows nothing on a table without that index).
 */
export function iamPolicy() {
  return {
    Version: '2012-10-17',
    Statement: (['items', 'index', 'vectorIndex', 'tableSetup'] as const).map((scope) => statement(scope, patternResources)),
  };
}

/** The principal tag that names a runtime's tenant in the tenant-prefix example. */
const tenantTag = '${aws:PrincipalTag/tenant}';

/**
 * Partition keys one tenant may touch when every id it uses starts with `<tenant>:`: on the table,
 * its sessions, users, user graphs, named graphs and the counter shards (shared by every store,
 * whoever the tenant: IAM cannot keep those apart); on the index, its users' session lists and its
 * graphs' relation lists.
 */
export function tenantLeadingKeys(scope: 'items' | 'index'): string[] {
  const own = `${tenantTag}:*`;
  const index = [prefix.user + own, prefix.graph + prefix.user + own, prefix.graph + prefix.namedGraph + own];
  return scope === 'index' ? index : [prefix.session + own, ...index, `${prefix.stats}*`];
}

/**
 * deploy/iam-policy-tenant-prefix.example.json: the item and index statements, limited with
 * dynamodb:LeadingKeys to the tenant's prefixed ids (docs/aws.md says what this can and cannot do).
 * Never SearchVectors: DynamoDB does not apply fine-grained conditions such as LeadingKeys to it, so
 * a tenant allowed to search could search every tenant's memories.
 */
export function tenantPrefixPolicyExample() {
  return {
    Version: '2012-10-17',
    Statement: (['items', 'index'] as const).map((scope) => ({
      ...statement(scope, patternResources),
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': tenantLeadingKeys(scope) } },
    })),
  };
}
