import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { providerTypeName, writeTemplate } from '../../../src/core/scaffold.js'

describe('providerTypeName', () => {
  it('drops the scope and a forklift-provider- or forklift-plugin- prefix', () => {
    assert.equal(providerTypeName('forklift-provider-acme'), 'acme')
    assert.equal(providerTypeName('@corp/forklift-plugin-lab'), 'lab')
    assert.equal(providerTypeName('shelves'), 'shelves')
    assert.equal(providerTypeName('forklift-provider-'), 'forklift-provider-')
  })
})

describe('writeTemplate', () => {
  it('replaces every __VAR__ placeholder, in file contents', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'forklift-scaffold-'))
    try {
      await mkdir(join(dir, 'template'))
      await writeFile(
        join(dir, 'template', 'a.txt'),
        '__NAME__ __TYPE__ __FORKLIFT_VERSION__ __NAME__ __OTHER__\n',
      )
      const files = await writeTemplate(join(dir, 'template'), join(dir, 'out'), {
        name: 'n',
        type: 't',
        'forklift-version': '1.2.3',
      })
      assert.deepEqual(files, ['a.txt'])
      assert.equal(await readFile(join(dir, 'out', 'a.txt'), 'utf8'), 'n t 1.2.3 n __OTHER__\n')
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
