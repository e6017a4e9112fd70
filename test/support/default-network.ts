import { DescribeSubnetsCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';

/** The emulator's default VPC and its subnets (one per Availability Zone), for stacks that need real ones. */
export async function defaultNetwork(region: string, endpoint: string): Promise<{ vpcId: string; subnetIds: string[] }> {
  const ec2 = new EC2Client({ region, endpoint });
  try {
    const { Vpcs = [] } = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'isDefault', Values: ['true'] }] }));
    const vpcId = Vpcs[0]?.VpcId;
    if (!vpcId) throw new Error('the emulator has no default VPC');
    const { Subnets = [] } = await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }));
    return { vpcId, subnetIds: Subnets.map((s) => s.SubnetId!).sort() };
  } finally {
    ec2.destroy();
  }
}
