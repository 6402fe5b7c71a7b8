#!/usr/bin/env node
// Development entry: rebuild with `npm run build` first; oclif reads commands from dist.
import { execute } from '@oclif/core'

await execute({ development: true, dir: import.meta.url })
