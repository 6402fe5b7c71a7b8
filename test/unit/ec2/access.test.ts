import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Subnet } from '@aws-sdk/client-ec2'
import fc from 'fast-check'
import { keyIdentity, RULE_MARK, surplusRules, unimportable } from '../../../src/plugins/ec2/access.js'
import { explainAwsError, ProviderError } from '../../../src/plugins/ec2/errors.js'
import { cloudInitFinished } from '../../../src/plugins/ec2/host-keys.js'
import { instanceAddress, literalFilter } from '../../../src/plugins/ec2/instances.js'
import { checkProjectNames } from '../../../src/plugins/ec2/names.js'
import { pickSubnet } from '../../../src/plugins/ec2/network.js'
import { wildcardMatch } from '../../support/ec2/query.js'

describe('ec2 names, filters, rules and keys', () => {
  it('puts names into filters as themselves: * and ? match only themselves', () => {
    assert.equal(literalFilter('shop*'), 'shop\\*')
    assert.ok(!wildcardMatch(literalFilter('sh?p'), 'shop'))
    assert.ok(!wildcardMatch(literalFilter('*'), 'anything'))
    // Against EC2's filter semantics (as the stand-in implements them): a literal matches itself alone.
    fc.assert(
      fc.property(fc.string(), fc.string(), (name, other) => {
        const pattern = literalFilter(name)
        return wildcardMatch(pattern, name) && (other === name || !wildcardMatch(pattern, other))
      }),
    )
  })

  it('checks project names where EC2 restricts them, naming forklift.yaml `name`', () => {
    const check = (project: string) =>
      checkProjectNames('group web (provider aws)', {
        project,
        securityGroup: `forklift-${project}-web`,
        keyPair: `forklift-${project}-web`,
      })
    check('shop')
    check('shop 2 (eu)')
    assert.throws(() => check('x'.repeat(257)), /256 characters of an EC2 tag value/)
    assert.throws(() => check('x'.repeat(250)), /security group name/)
    assert.throws(
      () => check('café'),
      /the project name "café" \(forklift.yaml `name`\) cannot be part of the security group name/,
    )
    assert.throws(() => check('a|b'), ProviderError)
  })

  it("revokes only Forklift's own single-port rules for ports no longer wanted", () => {
    const rule = (port: number, description?: string, cidr = '0.0.0.0/0', to = port) => ({
      IpProtocol: 'tcp',
      FromPort: port,
      ToPort: to,
      IpRanges: [{ CidrIp: cidr, ...(description ? { Description: description } : {}) }],
    })
    const permissions = [
      rule(22, RULE_MARK),
      rule(80, RULE_MARK),
      rule(8080, RULE_MARK),
      rule(443, 'office'),
      rule(5432, undefined, '10.0.0.0/8'),
      rule(6000, RULE_MARK, '0.0.0.0/0', 6010),
    ]
    assert.deepEqual(
      surplusRules(permissions, [22, 80]).map((r) => [r.FromPort, r.IpRanges![0]!.CidrIp]),
      [[8080, '0.0.0.0/0']],
    )
    assert.deepEqual(surplusRules(permissions, [22, 80, 8080]), [])
  })

  it('imports RSA and ED25519 keys only, and compares keys by type and blob', () => {
    assert.equal(unimportable('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO7 me@host'), undefined)
    assert.equal(unimportable('ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ=='), undefined)
    assert.match(
      unimportable('ecdsa-sha2-nistp256 AAAAE2VjZHNh me')!,
      /RSA or ED25519 keys only, not ecdsa-sha2-nistp256/,
    )
    assert.match(unimportable('sk-ssh-ed25519@openssh.com AAAAGnNr me')!, /not sk-ssh-ed25519@openssh.com/)
    assert.match(unimportable('-----BEGIN OPENSSH PRIVATE KEY-----')!, /not an OpenSSH public key line/)
    assert.equal(keyIdentity('ssh-ed25519 AAAA me@a\n'), keyIdentity('ssh-ed25519   AAAA other@b'))
    assert.notEqual(keyIdentity('ssh-ed25519 AAAA'), keyIdentity('ssh-ed25519 AAAB'))
  })

  it('chooses a subnet of a VPC: its default one, else a public one, else the roomiest', () => {
    const s = (id: string, extra: Record<string, unknown> = {}) =>
      ({ SubnetId: id, State: 'available', ...extra }) as Subnet
    assert.equal(pickSubnet([s('subnet-b'), s('subnet-a')])?.SubnetId, 'subnet-a')
    assert.equal(
      pickSubnet([
        s('subnet-a', { AvailableIpAddressCount: 3 }),
        s('subnet-b', { AvailableIpAddressCount: 9 }),
      ])?.SubnetId,
      'subnet-b',
    )
    assert.equal(
      pickSubnet([s('subnet-a'), s('subnet-z', { MapPublicIpOnLaunch: true })])?.SubnetId,
      'subnet-z',
    )
    assert.equal(
      pickSubnet([s('subnet-z', { MapPublicIpOnLaunch: true }), s('subnet-y', { DefaultForAz: true })])
        ?.SubnetId,
      'subnet-y',
    )
    assert.equal(pickSubnet([s('subnet-a', { State: 'pending' })]), undefined)
    assert.equal(pickSubnet([]), undefined)
  })

  it('reaches an instance at its public address, else its private one, as the setting says', () => {
    const both = { PublicIpAddress: '203.0.113.5', PrivateIpAddress: '10.0.2.7' }
    assert.equal(instanceAddress(both), '203.0.113.5')
    assert.equal(instanceAddress(both, 'private'), '10.0.2.7')
    assert.equal(instanceAddress({ PrivateIpAddress: '10.0.2.7' }), '10.0.2.7')
    assert.equal(instanceAddress({ PrivateIpAddress: '10.0.2.7' }, 'public'), undefined)
    // An IPv6-only instance has no IPv4 address: none, never '' (which Node dials as 127.0.0.1).
    assert.equal(
      instanceAddress({ PublicIpAddress: '', PrivateIpAddress: '', Ipv6Address: '2600::1' }),
      undefined,
    )
  })

  it("tells cloud-init's finished line", () => {
    assert.ok(
      cloudInitFinished(
        'Cloud-init v. 24.1.3-0ubuntu3 finished at Thu, 03 Dec 2026 08:00:00 +0000. Datasource DataSourceEc2Local.  Up 21.04 seconds',
      ),
    )
    assert.ok(!cloudInitFinished("Cloud-init v. 22.4.2 running 'modules:final' at Thu, 03 Dec 2026"))
    assert.ok(!cloudInitFinished(''))
  })

  it("keeps EC2's message and tells how to decode an encoded authorization message", () => {
    const denied = Object.assign(
      new Error(
        'You are not authorized to perform this operation. User: arn:aws:iam::1:user/x is not authorized to perform: ec2:CreateTags on resource: arn:aws:ec2:us-east-1:1:instance/* because no identity-based policy allows the ec2:CreateTags action. Encoded authorization failure message: AbC-123_xyz',
      ),
      { name: 'UnauthorizedOperation', $metadata: {} },
    )
    Object.defineProperty(denied, '$action', { value: 'RunInstances' })
    const line = explainAwsError(denied, {
      provider: 'aws',
      group: 'web',
      action: 'CreateSecurityGroup',
    }).message
    assert.match(
      line,
      /^group web \(provider aws\): not allowed to call ec2:RunInstances \(UnauthorizedOperation\)/,
    )
    assert.match(line, /is not authorized to perform: ec2:CreateTags on resource/)
    assert.match(line, /aws sts decode-authorization-message --encoded-message AbC-123_xyz/)
    assert.doesNotMatch(line, /\n/)
  })
})
