import { type ActionDefinition, assign, contentFunction } from './definition.js'
import type { PackageSourceAction } from './types.js'

/** Where an apt source and its key live. */
export function aptPaths(name: string): { list: string; key: string } {
  return { list: `/etc/apt/sources.list.d/${name}.list`, key: `/etc/apt/keyrings/${name}.asc` }
}

/** The one-line apt source for this action. */
export function aptLine(name: string, apt: NonNullable<PackageSourceAction['apt']>): string {
  const options = [
    ...(apt.arch ? [`arch=${apt.arch}`] : []),
    ...(apt.key ? [`signed-by=${aptPaths(name).key}`] : []),
    ...(apt.trusted ? ['trusted=yes'] : []),
  ]
  const flat = apt.suite.endsWith('/')
  const components = flat ? [] : (apt.components ?? ['main'])
  return (
    ['deb', ...(options.length ? [`[${options.join(' ')}]`] : []), apt.uri, apt.suite, ...components].join(
      ' ',
    ) + '\n'
  )
}

/** The yum/dnf .repo file for this action. */
export function yumRepo(name: string, yum: NonNullable<PackageSourceAction['yum']>): string {
  const lines = [
    `[${name}]`,
    `name=${name}`,
    `baseurl=${yum.baseurl}`,
    'enabled=1',
    `gpgcheck=${yum.gpgkey ? 1 : 0}`,
  ]
  if (yum.gpgkey) lines.push(`gpgkey=${yum.gpgkey}`)
  return lines.join('\n') + '\n'
}

/**
 * A package repository: apt (sources.list.d/NAME.list, its key in /etc/apt/keyrings/NAME.asc with
 * signed-by) or yum/dnf (yum.repos.d/NAME.repo); absent removes them by name. A change makes the
 * next package action refresh the index.
 */
export const packageSource: ActionDefinition<PackageSourceAction> = {
  describe: (action) => `package-source ${action.name}`,
  compile(action, { facts }) {
    const pm = facts.packageManager
    const absent = action.state === 'absent'
    const after = '[ -z "$W" ] || NR=1 U='
    if (pm === 'apt' && (action.apt || absent)) {
      const paths = aptPaths(action.name)
      if (absent || !action.apt)
        return {
          body: `${assign({ P: paths.list })}\n_rmf\n${assign({ P: paths.key })}\n[ "$S" = failed ] || _rmf\n${after}`,
          helpers: ['rmf'],
        }
      const lines: string[] = [assign({ MO: '644', OW: '0', GR: '0' })]
      if (action.apt.key) {
        lines.push(
          `${assign({ P: paths.key, K: 'key' })}\n${contentFunction(action.apt.key.trim() + '\n')}`,
          '[ -d /etc/apt/keyrings ] || [ "$D" = 1 ] || _x mkdir -p -m 755 /etc/apt/keyrings',
          '[ "$S" = failed ] || _put',
        )
      } else {
        // A key this action once wrote goes when the source no longer names one.
        lines.push(`${assign({ P: paths.key })}\n_rmf`)
      }
      lines.push(
        `${assign({ P: paths.list, K: 'source' })}\n${contentFunction(aptLine(action.name, action.apt))}`,
        '[ "$S" = failed ] || _put',
        after,
      )
      return { body: lines.join('\n'), helpers: ['put', 'rmf'] }
    }
    if ((pm === 'dnf' || pm === 'yum') && (action.yum || absent)) {
      const path = `/etc/yum.repos.d/${action.name}.repo`
      if (absent || !action.yum) return { body: `${assign({ P: path })}\n_rmf\n${after}`, helpers: ['rmf'] }
      const vars = assign({ P: path, MO: '644', OW: '0', GR: '0', K: 'source' })
      return {
        body: `${vars}\n${contentFunction(yumRepo(action.name, action.yum))}\n_put\n${after}`,
        helpers: ['put'],
      }
    }
    return { body: '_f nosource', helpers: [] }
  },
}
