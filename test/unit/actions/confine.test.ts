import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { confineToFolder, isFolderNode } from '../../../src/core/actions/confine.js'
import type { Action } from '../../../src/core/actions/types.js'
import { actions as a } from '../../../src/index.js'

const root = '/home/me/shop/.forklift/nodes/web-1'
const node = { name: 'web-1', root }
const one = <A extends Action>(action: A) => confineToFolder([action], node)[0] as A

describe('folder nodes: actions stay in the folder', () => {
  it('rebases absolute paths under the root; a path already inside it stays', () => {
    assert.deepEqual(one(a.file('/etc/motd', { content: 'hi\n' })), {
      type: 'file',
      path: `${root}/etc/motd`,
      content: 'hi\n',
    })
    assert.equal(one(a.directory(`${root}/srv`))!.path, `${root}/srv`)
    assert.equal(one(a.directory(root))!.path, root)
    assert.equal(one(a.line('/etc/hosts', { line: 'x' }))!.path, `${root}/etc/hosts`)
    assert.equal(
      one(a.remoteFile('/opt/t.tgz', { url: 'https://example.org/t.tgz', sha256: 'a'.repeat(64) }))!.path,
      `${root}/opt/t.tgz`,
    )
    // The root's parent, named from outside, is a path like any other.
    assert.equal(one(a.file('/home/me/shop/secret'))!.path, `${root}/home/me/shop/secret`)
  })

  it('never lets `..` or the node root `/` climb out', () => {
    assert.equal(one(a.file('/../../etc/passwd'))!.path, `${root}/etc/passwd`)
    assert.equal(
      one(a.file(`${root}/../web-2/etc/motd`))!.path,
      `${root}/home/me/shop/.forklift/nodes/web-2/etc/motd`,
    )
    assert.equal(one(a.file('//etc//./motd'))!.path, `${root}/etc/motd`)
    assert.equal(one(a.directory('/', { mode: '0755' }))!.path, root)
  })

  it('rebases a symlink and its absolute target; a relative target may not climb out', () => {
    assert.deepEqual(
      one(a.symlink('/etc/nginx/sites-enabled/app', { target: '/etc/nginx/sites-available/app' })),
      {
        type: 'symlink',
        path: `${root}/etc/nginx/sites-enabled/app`,
        target: `${root}/etc/nginx/sites-available/app`,
      },
    )
    assert.deepEqual(one(a.symlink('/etc/nginx/sites-enabled/app', { target: '../sites-available/app' })), {
      type: 'symlink',
      path: `${root}/etc/nginx/sites-enabled/app`,
      target: '../sites-available/app',
    })
    // From ROOT/etc, `../..` is the folder holding the node.
    assert.equal(one(a.symlink(`${root}/etc/up`, { target: '..' }))!.target, '..')
    assert.throws(
      () => confineToFolder([a.file('/x'), a.symlink('/etc/up', { target: '../../home' })], node),
      {
        name: 'ActionError',
        message: `action 1 (symlink /etc/up): \`target\` "../../home" climbs out of node web-1's folder (${root})`,
      },
    )
    assert.equal(one(a.symlink('/etc/gone', { state: 'absent' }))!.path, `${root}/etc/gone`)
  })

  it('rebases exec `cwd` and an absolute `creates`; the script is its own', () => {
    assert.deepEqual(one(a.exec('make install', { cwd: '/srv/app', creates: '/usr/local/bin/app' })), {
      type: 'exec',
      script: 'make install',
      cwd: `${root}/srv/app`,
      creates: `${root}/usr/local/bin/app`,
    })
    assert.deepEqual(one(a.exec('touch done', { creates: 'done' })), {
      type: 'exec',
      script: 'touch done',
      creates: 'done',
    })
  })

  it('refuses actions that would change the machine itself, naming the action and the node', () => {
    const refused: Action[] = [
      a.package('nginx'),
      a.packageSource('nginx', { apt: { uri: 'https://nginx.org/packages/debian', suite: 'bookworm' } }),
      a.packageUpdate(),
      a.user('deploy'),
      a.group('www'),
      a.service('nginx', { state: 'started' }),
    ]
    for (const action of refused) {
      assert.throws(() => confineToFolder([a.file('/etc/ok'), action], node), {
        name: 'ActionError',
        message: new RegExp(
          `^action 1 \\(${action.type}[^)]*\\): node web-1 is the folder ${root}, and a ${action.type} action would change this machine itself; folder nodes take only exec, file, directory, symlink, remote-file and line actions$`,
        ),
      })
    }
    assert.throws(
      () => one(a.package(['nginx', 'curl'])),
      /^ActionError: action 0 \(package nginx curl\): node web-1/,
    )
  })

  it('leaves only a node without a root alone: any root confines, an empty or relative one is an error', () => {
    const all = [a.file('/etc/motd'), a.package('nginx'), a.symlink('/a', { target: '../../b' })]
    assert.equal(isFolderNode({ name: 'box' }), false)
    assert.equal(confineToFolder(all, { name: 'box' }), all)
    for (const slash of ['/', '//']) {
      assert.equal(isFolderNode({ name: 'box', root: slash }), true)
      assert.throws(
        () => confineToFolder(all, { name: 'box', root: slash }),
        /a package action would change this machine/,
      )
    }
    for (const bad of ['', '.', 'nodes/web-1'])
      assert.throws(
        () => isFolderNode({ name: 'box', root: bad }),
        /node box's root .* is not an absolute path/,
      )
    assert.equal(isFolderNode(node), true)
    // The input is not changed.
    const file = a.file('/etc/motd')
    confineToFolder([file], node)
    assert.equal(file.path, '/etc/motd')
  })
})
