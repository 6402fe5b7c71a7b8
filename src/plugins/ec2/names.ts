import { ProviderError } from './errors.js'

// What EC2 allows in the names Forklift makes from the project and group names.

/** Characters EC2 allows in a security group name (VPC): letters, digits, spaces and ._-:/()#,@[]+=&;{}!$* */
const GROUP_NAME = /^[A-Za-z0-9 ._\-:/()#,@[\]+=&;{}!$*]+$/

/**
 * Check the names EC2 will be given for a group, before anything is made: the project name as a tag
 * value (256 characters), the security group name (255 of EC2's allowed characters, not `sg-…`) and
 * the key pair name (255 ASCII characters). Each failure names forklift.yaml's `name`.
 */
export function checkProjectNames(
  label: string,
  names: { project: string; securityGroup: string; keyPair: string },
): void {
  const fail = (what: string) =>
    new ProviderError(
      `${label}: the project name "${names.project}" (forklift.yaml \`name\`) ${what}; choose a shorter or plainer project name`,
    )
  if (names.project.length > 256) throw fail('is longer than the 256 characters of an EC2 tag value')
  if (names.securityGroup.length > 255 || !GROUP_NAME.test(names.securityGroup)) {
    throw fail(
      `cannot be part of the security group name ${JSON.stringify(names.securityGroup)}: EC2 allows up to 255 characters a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{}!$*`,
    )
  }
  if (names.keyPair.length > 255 || !/^[\x20-\x7e]+$/.test(names.keyPair)) {
    throw fail(
      `cannot be part of the key pair name ${JSON.stringify(names.keyPair)}: EC2 allows up to 255 ASCII characters`,
    )
  }
}
