import { createHash } from 'node:crypto'
import { actionBuilders, PRIMARY_FIELDS } from '../crates/builders.js'

// Crates `import { defineCrate, actions } from 'forklift'`; inside a pod that resolves to this module,
// installed in every set, not to Forklift. Its builders are actionBuilders' own source, so they are
// the very builders of the package.
const builders = `const actions = (${actionBuilders.toString()})(${JSON.stringify(PRIMARY_FIELDS)})`

/** The files of `node_modules/forklift` in a set. */
export const SHIM_FILES: Record<string, string> = {
  'package.json': `${JSON.stringify(
    {
      name: 'forklift',
      version: '0.0.0-pod',
      description: 'What a crate may import from forklift inside a pod',
      type: 'module',
      exports: { '.': { import: './index.js', require: './index.cjs' } },
    },
    null,
    2,
  )}\n`,
  'index.js': `${builders}\nexport { actions }\nexport function defineCrate(definition) {\n  return definition\n}\n`,
  'index.cjs': `${builders}\nexports.actions = actions\nexports.defineCrate = (definition) => definition\n`,
}

/** Changes with the shim's text, so a set made with an older shim is not reused. */
export const SHIM_HASH = createHash('sha256').update(JSON.stringify(SHIM_FILES)).digest('hex').slice(0, 16)
