import { defineProvider } from '../../core/providers/types.js'
import { settingsSchema } from './settings.js'

export default defineProvider({
  type: 'vagrant',
  description:
    'Vagrant machines (VirtualBox, libvirt, docker …), one folder per node under .forklift/vagrant',
  canCreate: true,
  settingsSchema,
  async create(context) {
    // The provider module is loaded only when a vagrant provider is used.
    const { createVagrantProvider } = await import('./provider.js')
    return createVagrantProvider(context, settingsSchema.parse(context.settings))
  },
})
