import type { Facts } from '../model/node.js'
import { type FactValues, required } from './values.js'

/** Operating system (os-release), architecture and hostname. */
export const osScript = `_id= _like= _ver= _rel=
for _r in /etc/os-release /usr/lib/os-release; do [ -r "$_r" ] && { _rel=$_r; break; }; done
if [ -n "$_rel" ]; then while IFS='=' read -r _k _v || [ -n "$_k" ]; do
_v=\${_v#[\\"\\']}; _v=\${_v%[\\"\\']}
case $_k in ID) _id=$_v;; ID_LIKE) _like=$_v;; VERSION_ID) _ver=$_v;; esac
done <"$_rel"; fi
[ -n "$_id" ] || _id=$(uname -s | tr 'A-Z' 'a-z')
echo "os_id=$_id"; echo "os_like=$_like"; echo "os_version=$_ver"
echo "arch=$(uname -m)"; echo "hostname=$(uname -n)"`

const FAMILIES: Record<string, string> = {
  debian: 'debian',
  ubuntu: 'debian',
  rhel: 'redhat',
  fedora: 'redhat',
  centos: 'redhat',
  rocky: 'redhat',
  almalinux: 'redhat',
  amzn: 'redhat',
  alpine: 'alpine',
  arch: 'arch',
  suse: 'suse',
  opensuse: 'suse',
  sles: 'suse',
}

/** The family groups distributions that share packaging: debian, redhat, alpine, arch, suse, else the id. */
export function parseOs(values: FactValues): Pick<Facts, 'os' | 'arch' | 'hostname'> {
  const id = required(values, 'os_id')
  const like = (values.get('os_like') ?? '').split(/\s+/).filter(Boolean)
  const family = [id, ...like].map((token) => FAMILIES[token]).find(Boolean) ?? id
  return {
    os: { family, id, version: values.get('os_version') ?? '' },
    arch: required(values, 'arch'),
    hostname: required(values, 'hostname'),
  }
}
