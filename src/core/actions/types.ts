import type { z } from 'zod'
import type { crateActionSchema } from './schema.js'

// Actions are plain data. Crates and forklift.yaml produce them; the compiler turns each into a
// POSIX sh fragment (check, then change only what differs). Their types come from the schema.

/** Any action, as a crate may return it (file content may be bytes). */
export type Action = z.output<typeof crateActionSchema>
export type ActionType = Action['type']
type Of<T extends ActionType> = Extract<Action, { type: T }>

export type Presence = 'present' | 'absent'
export type ExecAction = Of<'exec'>
export type FileAction = Of<'file'>
export type DirectoryAction = Of<'directory'>
export type SymlinkAction = Of<'symlink'>
export type RemoteFileAction = Of<'remote-file'>
export type LineAction = Of<'line'>
export type PackageAction = Of<'package'>
export type PackageSourceAction = Of<'package-source'>
export type PackageUpdateAction = Of<'package-update'>
export type UserAction = Of<'user'>
export type GroupAction = Of<'group'>
export type ServiceAction = Of<'service'>
