import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { compilePhaseScript, prepareActions } from '../../../src/core/actions/script.js'
import type { Action } from '../../../src/core/actions/types.js'
import type { Facts } from '../../../src/core/model/node.js'
import { localFacts, runPhase, statuses } from './support.js'

const facts = (over: Partial<Facts>): Facts => ({ ...localFacts(), ...over })
const compile = (actions: unknown[], over: Partial<Facts> = {}) =>
  compilePhaseScript(actions as Action[], { facts: facts(over), dryRun: false, nonce: 'abcdef012345' })

describe('validation names the action, its type and the field', () => {
  const cases: [unknown, RegExp][] = [
    [
      { type: 'fiel', path: '/x' },
      /^ActionError: action 0: type: unknown action type "fiel" \(did you mean "file"\?\); types: directory, exec, file,/,
    ],
    ['file', /^ActionError: action 0: expected a map, got "file"$/],
    [
      { type: 'file', path: '/x', contnet: 'a' },
      /^ActionError: action 0 \(file \/x\): unknown key `contnet` \(did you mean `content`\?\)$/,
    ],
    [
      { type: 'file', path: '/x', mode: 644 },
      /: mode: expected a file mode as a quoted string such as "0644", got 644$/,
    ],
    [
      { type: 'file', path: 'etc/motd' },
      /^ActionError: action 0 \(file etc\/motd\): path: expected an absolute path, got "etc\/motd"$/,
    ],
    [
      { type: 'file', path: '/x', owner: '-rf' },
      /: owner: expected a user or group name, or a numeric id, got "-rf"$/,
    ],
    [
      { type: 'file', path: '/x', content: 5 },
      /: content: expected a string or bytes \(a Uint8Array\), got 5$/,
    ],
    [
      { type: 'file', path: '/x', state: 'absent', content: 'a' },
      /: content: cannot be given with state absent$/,
    ],
    [
      { type: 'directory' },
      /^ActionError: action 0 \(directory\): missing required key `path` \(expected a string\)$/,
    ],
    [{ type: 'symlink', path: '/x' }, /: a symlink that is present needs a `target`$/],
    [
      { type: 'remote-file', path: '/x', content: 'a', url: 'http://h/x' },
      /needs exactly one of `content`, `template`, `localFile`, `url`, got `content` and `url`$/,
    ],
    [
      { type: 'remote-file', path: '/x', url: 'http://h/x' },
      /: sha256: a remote-file with `url` needs its `sha256`$/,
    ],
    [
      { type: 'remote-file', path: '/x', url: 'file:///etc/passwd', sha256: 'a'.repeat(64) },
      /: url: expected an http, https or ftp URL, got "file:\/\/\/etc\/passwd"$/,
    ],
    [
      { type: 'remote-file', path: '/x', url: 'http://h/x', sha256: 'abc' },
      /: sha256: expected 64 hex digits, got "abc"$/,
    ],
    [{ type: 'line', path: '/x', line: 'a\nb' }, /: line: expected a single line, got "a\\nb"$/],
    [
      { type: 'exec', script: 'true', env: { 'A-B': 'x' } },
      /^ActionError: action 0 \(exec\): env: bad variable name "A-B": use letters, digits and _, not starting with a digit$/,
    ],
    [{ type: 'exec', script: 'true', env: { A: 1 } }, /: env.A: expected a string, got 1$/],
    [
      { type: 'exec', script: 'true', env: { A: 'a\0b' } },
      /: env.A: contains a NUL byte, which no shell word can carry$/,
    ],
    [{ type: 'exec', script: 'true', cwd: 'srv' }, /: cwd: expected an absolute path, got "srv"$/],
    [
      { type: 'package', name: ['ok', 'two words'] },
      /^ActionError: action 0 \(package\): name\[1\]: expected a package name \(letters, digits and \+ \. _ : ~ = -, starting with a letter or digit\), got "two words"$/,
    ],
    [{ type: 'package', name: [] }, /: name: expected a non-empty list, got an empty list$/],
    [
      { type: 'package', name: 'x', state: 'installed' },
      /: state: expected one of "present", "absent", "latest", got "installed"$/,
    ],
    [{ type: 'package-source', name: 'r' }, /needs an `apt` or a `yum` source/],
    [
      { type: 'package-source', name: '../r', yum: { baseurl: 'http://x' } },
      /: name: expected a name of letters/,
    ],
    [
      { type: 'package-source', name: 'r', apt: { uri: 'http://x', suite: 's', key: 'nope' } },
      /: apt.key: expected an ASCII-armored public key \(-----BEGIN PGP PUBLIC KEY BLOCK----- …\), got "nope"$/,
    ],
    [
      { type: 'package-source', name: 'r', apt: { uri: 'http://x y', suite: 's' } },
      /: apt.uri: expected one word \(no spaces or \]\), got "http:\/\/x y"$/,
    ],
    [
      { type: 'package-source', name: 'r', apt: { uri: 'u', suite: 's', sute: 1 } },
      /: unknown key `sute` in apt \(did you mean `suite`\?\)$/,
    ],
    [{ type: 'package-source', name: 'r', yum: 'http://x' }, /: yum: expected a map, got "http:\/\/x"$/],
    [
      { type: 'package-source', name: 'r', yum: {} },
      /: yum: missing required key `baseurl` \(expected a string\)$/,
    ],
    [
      { type: 'user', name: 'bad name' },
      /^ActionError: action 0 \(user bad name\): name: expected a login name \(up to 32 letters, digits, _ \. -, starting with a letter or _\), got "bad name"$/,
    ],
    [
      { type: 'user', name: 'u', home: '/home/a:b' },
      /: home: expected a path without ":", got "\/home\/a:b"$/,
    ],
    [{ type: 'user', name: 'u', groups: ['ok', 'Not Ok'] }, /: groups\[1\]: expected a group name/],
    [
      { type: 'user', name: 'u', authorizedKeys: ['a\nb'] },
      /: authorizedKeys\[0\]: expected one key on one line/,
    ],
    [{ type: 'group', name: 'g', gid: -1 }, /: gid: expected a whole number ≥ 0, got -1$/],
    [{ type: 'service', name: '-x' }, /: name: expected a service name/],
    [
      { type: 'service', name: 'nginx', state: 'started', notify: ['x'] },
      /: notify: needs state restarted or reloaded \(or none\), not started$/,
    ],
    [{ type: 'file', id: 'two words', path: '/x' }, /: id: expected a word without spaces, got "two words"$/],
  ]
  for (const [action, error] of cases) {
    it(`${JSON.stringify(action).slice(0, 70)}`, async () => {
      assert.throws(() => compile([action]), error)
      await assert.rejects(prepareActions([action as Action], { baseDir: '/', templateData: {} }), error)
    })
  }

  it('notify must name an earlier action by id; ids are unique', () => {
    const conf: Action = { type: 'file', id: 'conf', path: '/etc/app.conf' }
    assert.throws(
      () => compile([conf, { type: 'service', name: 'app', notify: ['config'] }]),
      /^ActionError: action 1 \(service app\): notify: names "config", but no action in this phase has that id$/,
    )
    assert.throws(
      () => compile([{ type: 'service', name: 'app', notify: ['conf'] }, conf]),
      /: notify: names "conf", which is action 1: only earlier actions can notify$/,
    )
    assert.throws(
      () => compile([conf, { ...conf }]),
      /^ActionError: action 1 \(file \/etc\/app.conf\): id: "conf" is already the id of action 0$/,
    )
    const script = compile([
      conf,
      { type: 'exec', id: 'db', script: 'true' },
      { type: 'service', name: 'app', notify: ['db', 'conf'] },
    ])
    assert.match(script, /case \$C in \*" 1 "\*\|\*" 0 "\*\) SS=restarted;; \*\) SS=started M=quiet;; esac/)
  })
})

describe('prepareActions', () => {
  it('renders templates, reports undefined names with their line, and leaves the input alone', async () => {
    const action: Action = {
      type: 'remote-file',
      path: '/x',
      template: 'a\n{{env.port}}\n{{#settings.list}}{{.}},{{/settings.list}}',
    }
    const data = { env: { port: 80 }, settings: { list: [1, 2] }, node: {} }
    const [prepared] = await prepareActions([action], { baseDir: '/', templateData: data })
    assert.deepEqual(prepared, { type: 'remote-file', path: '/x', content: 'a\n80\n1,2,' })
    assert.equal(action.template !== undefined, true)
    await assert.rejects(
      prepareActions([{ type: 'remote-file', path: '/x', template: 'a\nb {{env.missing}}' }], {
        baseDir: '/',
        templateData: data,
      }),
      /^ActionError: action 0 \(remote-file \/x\): template: line 2: \{\{env.missing\}\} is not defined \(the template sees env, settings, node\)$/,
    )
    await assert.rejects(
      prepareActions([{ type: 'remote-file', path: '/x', template: '{{#a}}' }], {
        baseDir: '/',
        templateData: data,
      }),
      /: template: Unclosed section "a"/,
    )
  })

  it('reads localFile as bytes relative to the base folder, and names a missing one', async () => {
    await assert.rejects(
      prepareActions([{ type: 'remote-file', path: '/x', localFile: 'files/none.conf' }], {
        baseDir: '/proj',
        templateData: {},
      }),
      /^ActionError: action 0 \(remote-file \/x\): localFile: cannot read \/proj\/files\/none.conf \(ENOENT\)$/,
    )
  })
})

describe('actions that need the node’s tools fail clearly when it lacks them', () => {
  it('package and package-update without a package manager', async () => {
    const run = await runPhase([{ type: 'package-update' }, { type: 'package', name: 'x' }], {
      facts: facts({ packageManager: null }),
    })
    assert.deepEqual(statuses(run), ['failed', 'skipped'])
    assert.equal(run.results[0]!.message, 'no supported package manager on the node (apt, dnf, yum, apk)')
  })

  it('package-source with no source for the node’s package manager', async () => {
    const run = await runPhase([{ type: 'package-source', name: 'r', yum: { baseurl: 'http://x/' } }], {
      facts: facts({ packageManager: 'apt' }),
    })
    assert.equal(run.results[0]!.status, 'failed')
    assert.match(run.results[0]!.message, /^no source for the node's package manager/)
  })

  it('service without its init script', async () => {
    const run = await runPhase([{ type: 'service', name: 'forklift-no-such-service', state: 'started' }], {
      facts: facts({ init: 'sysvinit' }),
    })
    assert.equal(run.results[0]!.status, 'failed')
    assert.equal(run.results[0]!.message, 'no init script /etc/init.d/forklift-no-such-service')
  })
})

describe('system actions compile to the tools of the node', () => {
  it('packages: apt-get, dnf, apk, with every name in one command', () => {
    const action = { type: 'package', name: ['nginx', 'curl=7.88'], state: 'present' }
    const apt = compile([action], { packageManager: 'apt' })
    for (const part of [
      /PK='nginx curl=7\.88' PS='present'\n_pk\n/,
      /dpkg-query -W/,
      /DEBIAN_FRONTEND=noninteractive/,
    ]) {
      assert.match(apt, part)
    }
    assert.match(compile([action], { packageManager: 'dnf' }), /rpm -q --quiet[\s\S]*PM='dnf'/)
    assert.match(compile([action], { packageManager: 'apk' }), /apk info -e/)
  })

  it('services: systemctl under systemd, init scripts otherwise', () => {
    const action = { type: 'service', name: 'nginx', state: 'started', enabled: true }
    assert.match(compile([action], { init: 'systemd' }), /systemctl is-active --quiet "\$SN"/)
    assert.match(compile([action], { init: 'sysvinit' }), /update-rc\.d/)
    assert.match(compile([action], { init: 'openrc' }), /rc-update add "\$SN" default/)
  })

  it('apt sources: a .list with signed-by and the key beside it; yum: a .repo', () => {
    const key = '-----BEGIN PGP PUBLIC KEY BLOCK-----\nabc\n-----END PGP PUBLIC KEY BLOCK-----'
    const apt = compile([
      {
        type: 'package-source',
        name: 'r',
        apt: { uri: 'http://x/debian', suite: 'stable', key, arch: 'amd64' },
      },
    ])
    assert.match(apt, /P='\/etc\/apt\/keyrings\/r\.asc'/)
    assert.match(
      apt,
      /printf 'deb \[arch=amd64 signed-by=\/etc\/apt\/keyrings\/r\.asc\] http:\/\/x\/debian stable main\n'/,
    )
    const yum = compile(
      [{ type: 'package-source', name: 'r', yum: { baseurl: 'http://x/el9/', gpgkey: 'http://x/key' } }],
      {
        packageManager: 'dnf',
      },
    )
    assert.match(
      yum,
      /printf '\[r\]\nname=r\nbaseurl=http:\/\/x\/el9\/\nenabled=1\ngpgcheck=1\ngpgkey=http:\/\/x\/key\n'/,
    )
  })
})
