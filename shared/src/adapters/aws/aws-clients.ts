import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';

export interface AwsClients {
  dynamo: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  sqs: SQSClient;
  s3: S3Client;
  ecs: ECSClient;
  secrets: SecretsManagerClient;
  destroy(): void;
}

/**
 * Every AWS client, built once from the region and the optional endpoint (LocalStack, moto). The
 * endpoint goes to every client; S3 then needs path-style addressing, since an emulator on
 * 127.0.0.1 has no per-bucket host names. Credentials come from the SDK's default chain.
 */
export function createAwsClients(region: string, endpoint: string | null): AwsClients {
  const common = { region, ...(endpoint ? { endpoint } : {}) };
  const dynamo = new DynamoDBClient(common);
  const doc = DynamoDBDocumentClient.from(dynamo, {
    marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
  });
  const sqs = new SQSClient(common);
  const s3 = new S3Client({ ...common, forcePathStyle: endpoint !== null });
  const ecs = new ECSClient(common);
  const secrets = new SecretsManagerClient(common);
  return {
    dynamo,
    doc,
    sqs,
    s3,
    ecs,
    secrets,
    destroy() {
      for (const client of [doc, dynamo, sqs, s3, ecs, secrets]) client.destroy();
    },
  };
}
