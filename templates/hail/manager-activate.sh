#!/bin/sh
# bin/activate of a hail manager build (print it with `forklift hail unit --activate-script`).
# The build carries the watcher units of a machine's services in units/*.service (made with
# `forklift hail unit`). Activating it installs new units, restarts changed ones and stops and
# removes the ones the previous build had and this one dropped: service removal by deployment.
set -eu

profile=$(cd "$(dirname "$0")/.." && pwd)
units="$profile/units"
unit_dir=${HAIL_UNIT_DIR:-/etc/systemd/system}
state=${HAIL_MANAGER_STATE:-/var/lib/forklift/hail-manager}
systemctl=${SYSTEMCTL:-systemctl}

mkdir -p "$unit_dir" "$state"
touch "$state/units"

wanted=""
if [ -d "$units" ]; then
  for file in "$units"/*.service; do
    [ -e "$file" ] || continue
    wanted="$wanted $(basename "$file")"
  done
fi

# Recorded before anything is installed: if this activation fails half way, the previous build's
# activate (run by the rollback) then finds this build's units in the list and removes them.
previous=$(cat "$state/units")
printf '%s\n' $previous $wanted | sort -u > "$state/units.tmp"
mv -f "$state/units.tmp" "$state/units"

changed=""
for unit in $wanted; do
  if ! cmp -s "$units/$unit" "$unit_dir/$unit"; then
    cp "$units/$unit" "$unit_dir/.$unit.tmp"
    chmod 644 "$unit_dir/.$unit.tmp"
    mv -f "$unit_dir/.$unit.tmp" "$unit_dir/$unit"
    changed="$changed $unit"
  fi
done

removed=""
for unit in $(cat "$state/units"); do
  case " $wanted " in
    *" $unit "*) ;;
    *) removed="$removed $unit" ;;
  esac
done
for unit in $removed; do
  "$systemctl" disable --now "$unit" || true
  rm -f "$unit_dir/$unit"
done

"$systemctl" daemon-reload
for unit in $wanted; do
  "$systemctl" enable "$unit"
done
# --no-block: the manager's own unit may be among them, and its restart waits for this script.
for unit in $changed; do
  "$systemctl" --no-block restart "$unit"
done
for unit in $wanted; do
  "$systemctl" --no-block start "$unit"
done

printf '%s\n' $wanted > "$state/units.tmp"
mv -f "$state/units.tmp" "$state/units"
echo "hail manager: units$wanted; changed:${changed:- none}; removed:${removed:- none}"
