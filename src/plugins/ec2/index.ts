import { z } from 'zod'
import { defineProvider } from '../../core/providers/types.js'

// Kept free of the AWS SDK: loading the client costs ~0.4 s, paid only when an ec2 provider is opened.

const settingsSchema = z
  .object({
    region: z
      .string()
      .min(1)
      .optional()
      .describe("AWS region, e.g. eu-west-1 (default: AWS_REGION, then the profile's region)"),
    profile: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Profile of the AWS shared config and credentials files (default: AWS_PROFILE, then "default")',
      ),
    endpoint: z
      .url()
      .optional()
      .describe('EC2 endpoint URL override (default: AWS_ENDPOINT_URL_EC2, then AWS)'),
    subnet: z.string().min(1).optional().describe('Subnet id to launch into (default: the default subnet)'),
    vpc: z
      .string()
      .min(1)
      .optional()
      .describe("VPC id for the groups' security groups (default: the subnet's VPC, else the default VPC)"),
    'key-name': z
      .string()
      .min(1)
      .optional()
      .describe('EC2 key pair for the first login (default: forklift-PROJECT-GROUP)'),
    'public-key': z
      .string()
      .min(1)
      .optional()
      .describe(
        "Public key (OpenSSH line or .pub file) imported when the key pair is missing (default: the group's login key)",
      ),
    'instance-type': z
      .string()
      .min(1)
      .optional()
      .describe(
        'Instance type when a group names neither instance-type nor min-ram/min-cores (default: t3.micro)',
      ),
    tags: z
      .record(z.string().min(1).max(128), z.string().max(256))
      .optional()
      .describe('Tags added to everything this provider creates'),
    'max-attempts': z
      .number()
      .int()
      .min(1)
      .max(20)
      .optional()
      .describe('Attempts per EC2 call when throttled or on a dropped connection (default: 3)'),
    'waiter-delay': z
      .number()
      .positive()
      .optional()
      .describe('Seconds between polls while instances start or stop (default: 5)'),
    'ssh-timeout': z
      .number()
      .positive()
      .optional()
      .describe('Seconds to wait for SSH on new instances (default: 300)'),
    'host-key-timeout': z
      .number()
      .positive()
      .optional()
      .describe("Seconds to read a new instance's console for cloud-init's SSH host keys (default: 600)"),
    address: z
      .enum(['public', 'private'])
      .optional()
      .describe(
        'Address nodes are reached at: public, or private (from inside the VPC or through a jump host) (default: public when an instance has one, else private)',
      ),
    'keep-group-resources': z
      .boolean()
      .optional()
      .describe(
        "Keep a group's security group and key pair when its last node is destroyed (default: false, they are deleted)",
      ),
  })
  .strict()

export type Ec2Settings = z.infer<typeof settingsSchema>

export default defineProvider({
  type: 'ec2',
  description: 'Amazon EC2 instances, grouped by the forklift:group tag',
  canCreate: true,
  settingsSchema,
  async create(context) {
    const settings = settingsSchema.parse(context.settings)
    const { createEc2Provider } = await import('./provider.js')
    return createEc2Provider(context, settings)
  },
})
