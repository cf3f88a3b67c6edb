/**
 * deploy/cloudformation.yaml: the table exactly as tableDefinition() describes it (with the vector
 * index when the MemoryVectorDimension parameter is not 0), hardened for production (point-in-time
 * recovery, deletion protection, kept when the stack goes), and a managed policy with the statements
 * of deploy/iam-policy.json on this table (SearchVectors only with the vector index). Long-form intrinsics
 * (`Fn::If`, `Ref`) keep the YAML plain, so any YAML reader (the test's included) reads it.
 */
import {
  defaultTableName,
  tableDefinition,
  timeToLive,
  userIndex,
  vectorDimensionLimits,
  vectorIndex,
  vectorIndexName,
} from '../../lib/memory/table-layout';
import { statement, type Resources } from './iam-policy';

const noValue = { Ref: 'AWS::NoValue' };
const kmsKey = { Ref: 'KmsKeyArn' };

/** Creating the table gives DynamoDB's own requirements for a name; CloudFormation checks them first. */
const tableNamePattern = '[a-zA-Z0-9_.-]+';
const kmsKeyArnPattern = '^$|^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$';

export function cloudFormationTemplate() {
  const { AttributeDefinitions, KeySchema, GlobalSecondaryIndexes, BillingMode } = tableDefinition(defaultTableName);
  // Any dimension gives the same attribute definitions; the template's comes from its parameter.
  const withVectors = tableDefinition(defaultTableName, { vectorDimension: vectorDimensionLimits.min });
  const resources: Resources<unknown> = {
    table: { 'Fn::GetAtt': ['MemoryTable', 'Arn'] },
    index: { 'Fn::Sub': `\${MemoryTable.Arn}/index/${userIndex}` },
    vectorIndex: { 'Fn::Sub': `\${MemoryTable.Arn}/index/${vectorIndexName}` },
  };
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: 'Conversation memory table for @flowmemory/node-red-dynamodb, and a least-privilege managed policy for the Node-RED runtime',
    Parameters: {
      TableName: {
        Type: 'String',
        Default: defaultTableName,
        MinLength: 3,
        MaxLength: 255,
        AllowedPattern: tableNamePattern,
        Description: "The table's name: set the same in the memory nodes' connection",
      },
      KmsKeyArn: {
        Type: 'String',
        Default: '',
        AllowedPattern: kmsKeyArnPattern,
        Description: 'ARN of a customer managed KMS key to encrypt the table with; empty: the AWS owned key (no KMS charges)',
      },
      MemoryVectorDimension: {
        Type: 'Number',
        Default: 0,
        MinValue: 0,
        MaxValue: vectorDimensionLimits.max,
        Description:
          "0: no vector index (long-term memory recall reads the scope's vectors itself). Otherwise the vector index memvec for embeddings of this many dimensions (your embedder's, e.g. 384 for the built-in one); on an existing stack DynamoDB then fills the index from the table's items before it can be searched",
      },
      AllowTableSetup: {
        Type: 'String',
        AllowedValues: ['false', 'true'],
        Default: 'false',
        Description: "'true' adds the statement the connection's \"Create the table if it is missing\" option and its Test connection / Create table buttons need; the stack made the table, so leave that option off",
      },
    },
    Conditions: {
      UseCustomerManagedKey: { 'Fn::Not': [{ 'Fn::Equals': [kmsKey, ''] }] },
      TableSetupAllowed: { 'Fn::Equals': [{ Ref: 'AllowTableSetup' }, 'true'] },
      HasVectorIndex: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'MemoryVectorDimension' }, '0'] }] },
    },
    Resources: {
      MemoryTable: {
        Type: 'AWS::DynamoDB::Table',
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: {
          TableName: { Ref: 'TableName' },
          BillingMode,
          AttributeDefinitions: { 'Fn::If': ['HasVectorIndex', withVectors.AttributeDefinitions, AttributeDefinitions] },
          KeySchema,
          GlobalSecondaryIndexes,
          VectorIndexes: { 'Fn::If': ['HasVectorIndex', [vectorIndex({ Ref: 'MemoryVectorDimension' })], noValue] },
          TimeToLiveSpecification: timeToLive,
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          DeletionProtectionEnabled: true,
          SSESpecification: {
            'Fn::If': ['UseCustomerManagedKey', { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: kmsKey }, noValue],
          },
        },
      },
      MemoryPolicy: {
        Type: 'AWS::IAM::ManagedPolicy',
        Properties: {
          Description: { 'Fn::Sub': 'What @flowmemory/node-red-dynamodb calls on table ${MemoryTable}' },
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              statement('items', resources),
              statement('index', resources),
              { 'Fn::If': ['HasVectorIndex', statement('vectorIndex', resources), noValue] },
              { 'Fn::If': ['TableSetupAllowed', statement('tableSetup', resources), noValue] },
              { 'Fn::If': ['UseCustomerManagedKey', useTableKey(), noValue] },
            ],
          },
        },
      },
    },
    Outputs: {
      TableName: { Description: "The table's name, for the memory nodes' connection", Value: { Ref: 'MemoryTable' } },
      TableArn: { Value: resources.table },
      PolicyArn: { Description: "Attach to the Node-RED runtime's role or user", Value: { Ref: 'MemoryPolicy' } },
    },
  };
}

/**
 * With a customer managed key, DynamoDB uses the key with the caller's permissions: the runtime may
 * use it, through DynamoDB only (the key's policy must also let IAM policies grant it, as the default
 * key policy does).
 */
function useTableKey() {
  return {
    Sid: 'UseTableKeyThroughDynamoDB',
    Effect: 'Allow',
    Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'],
    Resource: kmsKey,
    Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Sub': 'dynamodb.${AWS::Region}.amazonaws.com' } } },
  };
}
