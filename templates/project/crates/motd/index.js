// A crate: each phase function takes a context (node, group, settings, env) and returns actions,
// plain data that Forklift compiles to one idempotent shell script per node and phase.

/** @type {import('forklift').CrateDefinition} */
export default {
  defaults: { message: 'managed by forklift' },
  phases: {
    // The settings phase publishes data that every later phase, on any node, can read.
    settings(ctx) {
      ctx.publish('motd', { node: ctx.node.name, address: ctx.node.address })
      return []
    },
    configure(ctx) {
      // Folder nodes of the local provider keep their files under their own root.
      const root = ctx.node.root ?? ''
      const peers = ctx
        .settingsOf(ctx.group.name, 'motd')
        .map((p) => p.node)
        .sort()
      return [
        { type: 'directory', path: `${root}/etc`, mode: '0755' },
        {
          type: 'file',
          path: `${root}/etc/motd`,
          content: `${ctx.env.get('greeting')} to ${ctx.node.name}: ${ctx.settings.message}\n`,
          mode: '0644',
        },
        ...peers.map((peer) => ({ type: 'line', path: `${root}/etc/peers`, line: peer })),
      ]
    },
  },
}
