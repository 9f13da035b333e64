import {
  DescribeClustersCommand,
  type ECSClient,
  ListClustersCommand,
  ListServicesCommand,
  type Tag,
} from '@aws-sdk/client-ecs';
import type { AwsClientStub } from 'aws-sdk-client-mock';

/**
 * A scripted client's account with one Copilot environment: its cluster, tagged with the
 * environment's Copilot tags, listing `serviceArns` (DescribeServices is the test's own).
 */
export function givenCopilotCluster(
  ecsMock: AwsClientStub<ECSClient>,
  {
    clusterArn,
    environmentTags,
    serviceArns,
  }: { clusterArn: string; environmentTags: Tag[]; serviceArns: string[] },
): void {
  ecsMock.on(ListClustersCommand).resolves({ clusterArns: [clusterArn] });
  ecsMock.on(DescribeClustersCommand).resolves({
    clusters: [
      {
        clusterArn,
        clusterName: clusterArn.slice(clusterArn.lastIndexOf('/') + 1),
        status: 'ACTIVE',
        tags: environmentTags,
      },
    ],
  });
  ecsMock.on(ListServicesCommand).resolves({ serviceArns });
}
