// A crate: each phase function takes a context (node, group, settings, env, action builders) and
// returns actions, plain data that Forklift compiles to one idempotent shell script per node and phase.
import { defineCrate } from 'forklift'

export default defineCrate({
  defaults: { message: 'managed by forklift' },
  phases: {
    // The settings phase publishes data that every later phase, on any node, can read.
    settings(ctx) {
      ctx.publish('motd', { node: ctx.node.name, address: ctx.node.address })
      return []
    },
    configure(ctx) {
      // Paths are the node's: on a folder node of the local provider /etc/motd lands in its folder.
      const { directory, file, line } = ctx.actions
      const peers = ctx
        .settingsOf(ctx.group.name, 'motd')
        .map((p) => p.node)
        .sort()
      return [
        directory('/etc', { mode: '0755' }),
        file('/etc/motd', {
          content: `${ctx.env.get('greeting')} to ${ctx.node.name}: ${ctx.settings.message}\n`,
          mode: '0644',
        }),
        ...peers.map((peer) => line('/etc/peers', { line: peer })),
      ]
    },
  },
})
