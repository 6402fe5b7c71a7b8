// Shell functions the phase script defines once and every action calls: the compiled actions stay
// a few lines each. Only the helpers a script uses are included.
//
// Conventions (POSIX sh: dash, busybox ash):
//   _a I / _z I   open and close action I; _z prints the output's tail (200 lines, 64 KiB) and the end marker;
//                 in a dry run, a failure after a would-change action (C not empty) is S=after and goes on
//   _c WORD       record a change (S becomes changed); _f TOKEN [EXIT] record a failure
//   _x CMD...     run a changing command (not in a dry run); on failure record `run:CMD`
//   P MO OW GR H  path, mode, owner, group, sha256 of the desired content; c() prints that content
//   S M W X       status, ok/failure token, changed words, exit status
// Nothing here prints to the action's stdout: markers and data go to the script's own stdout.

/** Shell source written raw: backslashes stay, and `$\{` stands for `${` (a template literal would take it). */
function sh(strings: TemplateStringsArray): string {
  return strings.raw.join('').replaceAll('$\\{', '${').trim()
}

/**
 * The script's start, after N (marker) and D (dry run) are set: sbin on PATH, a private temp folder
 * (in FORKLIFT_TMPDIR when the transport gives one; removed on exit, also when the session hangs up),
 * the changed-actions list C, the refresh flags U NR.
 */
export const SETUP = sh`
C=' ' U= NR=
PATH=$PATH:/usr/sbin:/sbin
T=$(mktemp -d "$\{FORKLIFT_TMPDIR:-$\{TMPDIR:-/tmp}}/forklift.XXXXXX" 2>/dev/null) || { T=/tmp/forklift.$$; mkdir -m 700 "$T"; } ||
{ echo "forklift: cannot create a temporary directory" >&2; exit 1; }
trap 'rm -rf "$T"' EXIT
trap 'exit 129' HUP PIPE TERM INT`

/** Where bootstrap keeps the package proxy on apk nodes; `_ak` (rf-apk) reads it, spelt out there. */
export const APK_PROXY_FILE = '/etc/forklift/package-proxy'

interface Helper {
  code: string
  /** Other helpers this one calls. */
  needs?: readonly string[]
}

const helpers = {
  // Core: always present.
  core: {
    code: sh`
_a(){ S= M= W= X=0 XO= P= MO= OW= GR= H= HC= B= DF= K= V=; : >"$T/d"; printf '%s begin %s\n' "$N" "$1"; }
_c(){ W="$W $1"; }
_f(){ S=failed M=$1; [ -z "$2" ] || X=$2; return 1; }
_xn(){ _n=$1; shift; [ "$D" = 1 ] && return 0; "$@" && return 0; X=$?; S=failed M=run:$_n; return 1; }
_x(){ _xn "$1" "$@"; }
_o(){ [ -s "$2" ] || return 0; tail -n 200 "$2" | tail -c 65536 | while IFS= read -r _l || [ -n "$_l" ]; do printf '%s%s\n' "$1" "$_l"; done; }
_z(){ if [ "$S" != failed ]; then if [ -n "$W" ]; then S=changed C="$C$1 "; else S=ok; fi
elif [ "$D" = 1 ] && [ "$C" != ' ' ]; then S=after C="$C$1 "; fi
if [ "$S" = failed ] || [ "$S" = after ] || [ -n "$XO" ]; then _o '|' "$T/o"; _o '!' "$T/e"; fi
[ -s "$T/d" ] && cat "$T/d"
printf '%s end %s %s %s %s%s\n' "$N" "$1" "$S" "$X" "$\{M:--}" "$W"
[ "$S" != failed ] || exit 1; }`,
  },

  // Current content of a file, as hex, for the control side's diff (at most 1 MiB and a byte).
  cur: {
    code: sh`_cur(){ [ -f "$2" ] || return 0; printf '%s data %s\n' "$N" "$1" >>"$T/d"; od -An -v -tx1 -N 1048577 "$2" >>"$T/d"; }`,
  },

  // Mode and ownership of $1 (following symlinks) into _sm _su _sg _sun _sgn.
  st: {
    code: sh`_st(){ _sm= _su= _sg= _sun= _sgn=; [ -e "$1" ] || return 0; set -- $(stat -L -c '%a %u %g %U %G' "$1"); _sm=$1 _su=$2 _sg=$3 _sun=$4 _sgn=$5; }`,
  },

  // Bring owner, group and mode of $1 (stat'ed by _st) to OW GR MO; with $2, only record what differs.
  at: {
    needs: ['st'],
    code: sh`
_at(){ _ao=
if [ -n "$OW" ] && [ "$OW" != "$_su" ] && [ "$OW" != "$_sun" ]; then _c owner; _ao=1; [ -n "$2" ] || _x chown "$OW" "$1" || return 1; fi
if [ -n "$GR" ] && [ "$GR" != "$_sg" ] && [ "$GR" != "$_sgn" ]; then _c group; _ao=1; [ -n "$2" ] || _x chgrp "$GR" "$1" || return 1; fi
[ -n "$MO" ] || return 0
if [ "$MO" != "$_sm" ]; then _c mode; [ -n "$2" ] || _x chmod "$MO" "$1"
elif [ -n "$_ao" ] && [ -z "$2" ]; then _x chmod "$MO" "$1"; fi; }`,
  },

  // What is at P: _e=1 for a regular file (stat'ed); a symlink is replaced; anything else fails.
  cls: {
    needs: ['st'],
    code: sh`_cls(){ _e=; _st ""; if [ -L "$P" ]; then _c unlink; elif [ -d "$P" ]; then _f isdir; elif [ -f "$P" ]; then _e=1; _st "$P"; elif [ -e "$P" ]; then _f notfile; fi; }`,
  },

  // Whether P holds the content whose sha256 is H (cmp against c() where sha256sum is missing).
  same: {
    code: sh`
if command -v sha256sum >/dev/null 2>&1; then _same(){ _h=$(sha256sum <"$P") && [ "$\{_h%% *}" = "$H" ]; }
else _same(){ c | cmp -s - "$P"; }; fi`,
  },

  // _tmp makes the temp file _t beside P with mktemp (new, 0600, never a planted name or symlink);
  // a missing folder is said as such (noparent), not as mktemp's own words.
  // _mv moves it over P (rename: a symlink at P is replaced, never followed): owner, group and mode
  // from OW GR MO or the old file, the old file kept as P.forklift-backup (a hard link, else a copy
  // made the same way) when B is set, validated by visudo when V is set.
  mv: {
    code: sh`
_um=$(umask); _dm=$(printf '%o' $((0666 & ~0$_um)))
_tmp(){ [ -d "$\{P%/*}/" ] || { _t=; _f noparent; return 1; }
_t=$(mktemp "$\{P%/*}/.forklift.XXXXXX") || { _r=$?; _t=; _f write "$_r"; return 1; }; }
_mv(){
if [ -n "$V" ] && command -v visudo >/dev/null 2>&1 && ! visudo -cf "$_t" >&2; then rm -f "$_t"; _f visudo; return 1; fi
[ -z "$_e" ] || chown "$_su:$_sg" "$_t" 2>/dev/null
{ [ -z "$OW" ] || chown "$OW" "$_t"; } && { [ -z "$GR" ] || chgrp "$GR" "$_t"; } && chmod "$\{MO:-$\{_sm:-$_dm}}" "$_t" || { X=$?; rm -f "$_t"; _f attrs; return 1; }
if [ -n "$B" ] && [ -n "$_e" ]; then ln -f "$P" "$P.forklift-backup" 2>/dev/null || _bk || { X=$?; rm -f "$_t"; _f backup; return 1; }; fi
[ ! -L "$P" ] || rm -f "$P"
mv -f "$_t" "$P" || { X=$?; rm -f "$_t"; _f write; return 1; }; }
_bk(){ _b=$(mktemp "$\{P%/*}/.forklift.XXXXXX") && cp -p "$P" "$_b" && mv -f "$_b" "$P.forklift-backup" || { rm -f "$_b"; return 1; }; }`,
  },

  // A file with content c() (when HC is set) and attributes; K names the change (default content/create).
  put: {
    needs: ['cls', 'same', 'at', 'mv', 'cur'],
    code: sh`
_put(){ _cls || return 1
if [ -z "$HC" ] && [ -L "$P" ]; then _f notfile; return 1; fi
if [ -n "$_e" ]; then
if [ -z "$HC" ] || _same; then _at "$P"; return; fi
[ -z "$DF" ] || _cur o "$P"; _c "$\{K:-content}"; _at "$P" 1
else _c "$\{K:-create}"; fi
[ "$D" != 1 ] || return 0
_tmp || return 1
c >"$_t"; _r=$?
[ "$_r" = 0 ] || { rm -f "$_t"; _f write "$_r"; return 1; }
_mv; }`,
  },

  // Remove the file (or symlink) at P; a directory there is an error.
  rmf: {
    code: sh`_rmf(){ if [ -d "$P" ] && [ ! -L "$P" ]; then _f isdir; elif [ -e "$P" ] || [ -L "$P" ]; then _c remove; _x rm -f "$P"; fi; }`,
  },

  // P from URL UR, checked against sha256 H before it replaces anything. The URL (credentials and
  // all) reaches curl (as its config line UK) or GNU wget on stdin, never as an argument ps shows;
  // busybox wget takes only arguments, so it gets only URLs with no credentials and no query.
  url: {
    needs: ['cls', 'same', 'at', 'mv'],
    code: sh`
_url(){ _cls || return 1
command -v sha256sum >/dev/null 2>&1 || { _f nosha; return 1; }
if [ -n "$_e" ]; then if _same; then _at "$P"; return; fi; _c content; _at "$P" 1; else _c create; fi
[ "$D" != 1 ] || return 0
_tmp || return 1; _r=
if command -v curl >/dev/null 2>&1; then printf '%s\n' "$UK" | curl -fsSL -K - -o "$_t"; _r=$?
elif wget --version 2>/dev/null | grep -q 'GNU Wget'; then printf '%s\n' "$UR" | wget -q -O "$_t" -i -; _r=$?
elif command -v wget >/dev/null 2>&1; then
case $UR in *@*|*\?*) rm -f "$_t"; _f argurl; return 1;; esac
wget -q -O "$_t" "$UR"; _r=$?; fi
[ -n "$_r" ] || { rm -f "$_t"; _f nofetch; return 1; }
[ "$_r" = 0 ] || { rm -f "$_t"; _f fetch "$_r"; return 1; }
_h=$(sha256sum <"$_t"); _h=$\{_h%% *}
[ "$_h" = "$H" ] || { rm -f "$_t"; _f "checksum:$_h"; return 1; }
_mv; }`,
  },

  // Line LN present or absent in P, matched by ERE LR (or equal to LN); atomic rewrite through awk.
  // Every comparison is of strings (`""` appended): awk compares numeric-looking strings as numbers.
  line: {
    needs: ['cls', 'mv', 'cur'],
    code: sh`
_lawk='BEGIN{l=ENVIRON["L"]"";r=ENVIRON["R"]"";a=ENVIRON["A"]""}
{t=$0"";m=(r!="")?(t~r):(t==l)}
a=="absent"{if(m){c=1;next}print;next}
m&&!d{d=1;if(t!=l)c=1;print l;next}
t==l{s=1}
{print}
END{if(a!="absent"&&!d&&!s){print l;c=1};exit c?10:0}'
_line(){ [ ! -L "$P" ] || P=$(readlink -f "$P")
_cls || return 1
[ -n "$_e" ] || [ "$LS" != absent ] || return 0
_i=$P; [ -n "$_e" ] || _i=/dev/null
if [ "$D" = 1 ]; then _t=$T/n; else _tmp || return 1; fi
L=$LN R=$LR A=$LS LC_ALL=C awk "$_lawk" "$_i" >"$_t"; _r=$?
case $_r in 0) rm -f "$_t"; return 0;; 10) ;; *) rm -f "$_t"; _f edit "$_r"; return 1;; esac
if [ -n "$_e" ]; then _c line; _cur o "$P"; else _c create; fi
_cur n "$_t"
[ "$D" != 1 ] || return 0
_mv; }`,
  },

  // Consecutive `line` actions on one file P, in one awk pass and one rewrite (see line-batch.ts).
  // $T/ls holds the actions, three lines each: state and whether a match follows (p- pr a- ar),
  // the match (when r), the line. awk keeps the file as records by id (ids never move: appended
  // records get new ones) and a count of each text, so a line without match is looked up, not
  // searched; it applies the actions in order as _lawk would one by one, and writes each one's
  // markers: `edit a` (appended), `edit r ID` (replaced), `edit d ID…` (removed) before a changed
  // end. Markers up to the first change's begin go to $T/r1, the rest to $T/r2, so a failed write
  // reports the actions before it and fails that one. Usage: _lb FIRST LAST J, J the leading absent
  // actions that a missing file leaves untouched (_line calls no awk for them). The block sets _l0
  // _l1 to FIRST LAST and _lf to FIRST: a spec that could not be written fails there.
  lb: {
    needs: ['cls', 'mv', 'cur'],
    code: sh`
_lbawk='BEGIN{F=ENVIRON["LBS"];N=ENVIRON["LBN"]"";k=0
while((getline s<F)>0){k++;s=s"";st[k]=substr(s,1,1);x="";if(substr(s,2,1)=="r")getline x<F;rx[k]=x"";getline x<F;ln[k]=x""}
close(F)}
{n++;t=$0"";rec[n]=t;cnt[t]++}
END{ex=ENVIRON["LBE"]"";I=ENVIRON["LBI"]+0;O=ENVIRON["LBO"]"";o=ENVIRON["LB1"];R2=ENVIRON["LB2"];FC=ENVIRON["LBC"];CL=ENVIRON["LBL"];fc=-1
for(j=1;j<=k;j++){i=I+j-1;l=ln[j];r=rx[j];e=""
if(j>1)print N" begin "i>o
if(st[j]=="a"){if(ex!=""&&(r!=""||cnt[l]>0))for(y=1;y<=n;y++)if((y in rec)&&((r=="")?(rec[y]==l):(rec[y]~r))){t=rec[y];cnt[t]--;delete rec[y];e=e" "y}
if(e!="")e="d"e}
else{f=0;if(r!="")for(y=1;y<=n;y++)if((y in rec)&&(rec[y]~r)){f=y;break}
if(f){if(rec[f]!=l){t=rec[f];cnt[t]--;rec[f]=l;cnt[l]++;e="r "f}}
else if(!(cnt[l]>0)){n++;rec[n]=l;cnt[l]++;e="a"}}
if(e==""){print N" end "i" ok 0 -">o;continue}
if(fc<0){fc=i;o=R2;print fc>FC}
print N" edit "e>o;print N" end "i" changed 0 - "(ex==""?"create":"line")>o;ex=1;printf "%s ",i>CL}
if(fc<0)exit 0
if(O!="")for(y=1;y<=n;y++)if(y in rec)print rec[y]>O
exit 10}'
_lb(){ _lf= _lm= _lj=$1 _t=
[ ! -L "$P" ] || P=$(readlink -f "$P")
_cls || { _lf=$1; return 1; }
[ -n "$_e" ] || _lj=$(($1+$3))
: >"$T/r1"; : >"$T/r2"; : >"$T/cl"
if [ "$_lj" -le "$2" ] && [ "$D" != 1 ]; then _tmp || { _lf=$_lj; return 1; }; fi
_i=$P; [ -n "$_e" ] || _i=/dev/null
LBN=$N LBS=$T/ls LBE=$_e LBI=$1 LBO=$_t LB1=$T/r1 LB2=$T/r2 LBC=$T/fc LBL=$T/cl LC_ALL=C awk "$_lbawk" "$_i"; _r=$?
case $_r in
0) [ -z "$_t" ] || rm -f "$_t"; return 0;;
10) ;;
*) [ -z "$_t" ] || rm -f "$_t"; _lf=$_lj; [ "$_lj" -le "$2" ] || _lf=$1; _f edit "$_r"; return 1;;
esac
[ -z "$_e" ] || _cur b "$P"
[ "$D" != 1 ] || return 0
_mv || { read -r _lf <"$T/fc"; _lm=1; return 1; }; }
_zb(){ if [ -z "$_lf" ]; then cat "$T/d" "$T/r1" "$T/r2"; [ ! -s "$T/cl" ] || C="$C$(cat "$T/cl")"; return 0; fi
: >"$T/d"
if [ -n "$_lm" ]; then cat "$T/r1"; if [ -n "$_e" ]; then _c line; else _c create; fi
else _i=$_l0; while [ "$_i" -lt "$_lf" ]; do printf '%s end %s ok 0 -\n%s begin %s\n' "$N" "$_i" "$N" $((_i+1)); _i=$((_i+1)); done; fi
_lS=$S; _z "$_lf"
# Only a dry run goes on (after a would-change action): the rest of the run meets the same failure.
_i=$_lf; while [ "$_i" -lt "$_l1" ]; do _i=$((_i+1)); printf '%s begin %s\n' "$N" "$_i"; S=$_lS; _z "$_i"; done; }`,
  },

  // Directory P with attributes; RC applies them below too.
  dir: {
    needs: ['at'],
    code: sh`
_dir(){
if [ -d "$P" ]; then _st "$P"; _at "$P" || return 1
elif [ -e "$P" ] || [ -L "$P" ]; then _f notdir; return 1
else _c create; [ "$D" != 1 ] || return 0; _x mkdir -p "$P" || return 1; _st "$P"; _at "$P" || return 1; fi
[ -n "$RC" ] || return 0
if [ -n "$OW" ] && _fr ! -user "$OW"; then _c owner-r; _xn chown find -H "$P" ! -user "$OW" -exec chown -h "$OW" {} + || return 1; fi
if [ -n "$GR" ] && _fr ! -group "$GR"; then _c group-r; _xn chgrp find -H "$P" ! -group "$GR" -exec chgrp -h "$GR" {} + || return 1; fi
if [ -n "$MO" ] && _fr ! -type l ! -perm "$MO"; then _c mode-r; _xn chmod find -H "$P" ! -type l ! -perm "$MO" -exec chmod "$MO" {} + || return 1; fi; }
_fr(){ [ -n "$(find -H "$P" "$@" -print 2>/dev/null | while IFS= read -r _p; do [ "$_p" = "$P" ] || { echo 1; break; }; done)" ]; }`,
  },

  rmd: {
    code: sh`_rmd(){ if [ -e "$P" ] || [ -L "$P" ]; then _c remove; _x rm -rf "$P"; fi; }`,
  },

  // Symlink P → TG (LS present/absent); never replaces a file or directory.
  ln: {
    code: sh`
_ln(){
if [ -L "$P" ]; then
[ "$LS" != absent ] || { _c remove; _x rm -f "$P"; return; }
_l=$(readlink -- "$P"; echo x); _l=$\{_l%?x}
[ "$_l" = "$TG" ] || { _c relink; _x ln -sfn -- "$TG" "$P"; }
elif [ -e "$P" ]; then _f notlink
elif [ "$LS" != absent ]; then _c create; _x ln -s -- "$TG" "$P"; fi; }`,
  },

  // exec: ES through e() (which sets cwd and env), guarded by EC (creates), EU (unless), EO (onlyIf).
  // _es writes the script e() runs to $T/x (0600 in the private folder): never an argument ps shows.
  ex: {
    code: sh`
_es(){ (umask 077; printf '%s\n' "$1" >"$T/x"); }
_ex(){ XO=1
if [ -n "$EC" ] && { [ -e "$EC" ] || [ -L "$EC" ]; }; then M=creates; return 0; fi
if [ -n "$EU" ] && e "$EU" >/dev/null 2>&1; then M=unless; return 0; fi
if [ -n "$EO" ] && ! e "$EO" >/dev/null 2>&1; then M=onlyif; return 0; fi
_c run; [ "$D" != 1 ] || return 0
e "$ES"; _r=$?; [ "$_r" = 0 ] || _f exit "$_r"; }`,
  },

  // Package index refresh (PM), at most once until a package source changes (U refreshed, NR needed).
  'rf-apt': {
    code: sh`
_ag(){ LC_ALL=C DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=a apt-get -q -y -o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@"; }
_rf(){ _rg=; [ "$D" != 1 ] || return 0
_ag update >"$T/u" 2>&1 || { X=$?; cat "$T/u" >&2; _f refresh; return 1; }
! grep -q '^Get:' "$T/u" || _rg=1; U=1 NR=; }`,
  },
  'rf-rpm': {
    code: sh`_rf(){ _rg=; [ "$D" != 1 ] || return 0; $PM -q -y makecache >"$T/u" 2>&1 || { X=$?; cat "$T/u" >&2; _f refresh; return 1; }; _rg=1 U=1 NR=; }`,
  },
  // apk has no proxy setting: bootstrap's package proxy is kept in a file and handed to each apk run.
  'rf-apk': {
    code: sh`
_ak(){ _px=; [ ! -r /etc/forklift/package-proxy ] || read -r _px </etc/forklift/package-proxy || :
if [ -n "$_px" ]; then http_proxy=$_px https_proxy=$_px apk "$@"; else apk "$@"; fi; }
_rf(){ _rg=; [ "$D" != 1 ] || return 0; _ak update >"$T/u" 2>&1 || { X=$?; cat "$T/u" >&2; _f refresh; return 1; }; _rg=1 U=1 NR=; }`,
  },
  pu: {
    code: sh`_pu(){ if [ -n "$U" ]; then M=already; elif [ "$D" = 1 ]; then M=dry; else _rf || return 1; if [ -n "$_rg" ]; then _c refresh; else M=fresh; fi; fi; }`,
  },

  // Packages PK (space separated) to state PS with the node's package manager.
  pk: {
    code: sh`
_pk(){ _m= _i=
for _p in $PK; do if _pi "$_p"; then _i="$_i $_p"; else _m="$_m $_p"; fi; done
case $PS in
absent) [ -n "$_i" ] || return 0; _c remove; [ "$D" != 1 ] || return 0; _pr $_i;;
present) [ -n "$_m" ] || return 0; _c install; [ "$D" != 1 ] || return 0; _pa $_m;;
latest) _pl;;
esac; }`,
  },
  'pk-apt': {
    needs: ['rf-apt', 'pk'],
    code: sh`
_pi(){ _v=$(dpkg-query -W -f='$\{db:Status-Abbrev} $\{Version}' "$\{1%%=*}" 2>/dev/null) || return 1
case $_v in ii*) ;; *) return 1;; esac
case $1 in *=*) [ "$\{_v##* }" = "$\{1#*=}" ];; esac; }
_ls(){ set -- /var/lib/apt/lists/*_Packages*; [ -e "$1" ]; }
_pa(){ { [ -z "$NR" ] && _ls; } || _rf || return 1; _xn apt-get _ag install "$@"; }
_pr(){ _xn apt-get _ag remove "$@"; }
_pl(){ { [ -z "$NR" ] && _ls; } || _rf || return 1
_s=$(_ag -s install $PK 2>&1) || { X=$?; printf '%s\n' "$_s" >&2; _f run:apt-get; return 1; }
case $_s in *"Inst "*) ;; *) return 0;; esac
_c latest; _xn apt-get _ag install $PK; }`,
  },
  'pk-rpm': {
    needs: ['rf-rpm', 'pk'],
    code: sh`
_pi(){ rpm -q --quiet "$1" 2>/dev/null; }
_pa(){ [ -z "$NR" ] || _rf || return 1; _xn $PM $PM -y install "$@"; }
_pr(){ _xn $PM $PM -y remove "$@"; }
_pl(){ [ -z "$NR" ] || _rf || return 1
if [ -n "$_m" ]; then _c latest; _pa $_m || return 1; fi
[ -n "$_i" ] || return 0
$PM -q check-update $_i >/dev/null 2>&1; _r=$?
case $_r in 0) return 0;; 100) _c latest; _xn $PM $PM -y upgrade $_i;; *) $PM -q check-update $_i >&2; _f run:$PM "$_r";; esac; }`,
  },
  'pk-apk': {
    needs: ['rf-apk', 'pk'],
    code: sh`
_pi(){ apk info -e "$1" >/dev/null 2>&1; }
_pa(){ [ -z "$NR" ] || _rf || return 1; _xn apk _ak add "$@"; }
_pr(){ _xn apk _ak del "$@"; }
_pl(){ [ -z "$NR" ] || _rf || return 1
_s=$(_ak add -u -s $PK 2>&1) || { X=$?; printf '%s\n' "$_s" >&2; _f run:apk; return 1; }
case $_s in *Installing*|*Upgrading*) ;; *) return 0;; esac
_c latest; _xn apk _ak add -u $PK; }`,
  },

  // passwd and group entries (getent where it exists, the files otherwise).
  ent: {
    code: sh`
_pw(){ _pe=$(getent passwd "$1" 2>/dev/null) || _pe=$(G=$1 awk -F: '$1""==ENVIRON["G"]""' /etc/passwd); [ -n "$_pe" ] || return 1
_ph=$\{_pe#*:*:*:*:*:}; _ps=$\{_ph#*:}; _ph=$\{_ph%%:*}; }
_ge(){ _gl=$(getent group "$1" 2>/dev/null) || _gl=$(G=$1 awk -F: '$1""==ENVIRON["G"]""' /etc/group); [ -n "$_gl" ]; }
_has(){ command -v "$1" >/dev/null 2>&1; }`,
  },

  // User UN: UST state, UH home, USH shell, UGS set → exact supplementary groups UG (comma list), USY system.
  // A login created for keys (UK) gets the password `*`: no password works, yet sshd without PAM still
  // lets keys in (it refuses accounts locked with `!`).
  user: {
    needs: ['ent'],
    code: sh`
_user(){
if [ "$UST" = absent ]; then
_pw "$UN" || return 0; _c remove
if _has userdel; then _x userdel "$UN"; else _xn userdel deluser "$UN"; fi; return
fi
if ! _pw "$UN"; then _c create; [ "$D" != 1 ] || return 0; _uadd; return; fi
if [ -n "$UH" ] && [ "$UH" != "$_ph" ]; then _c home; _umod -d "$UH" || return 1; fi
if [ -n "$USH" ] && [ "$USH" != "$_ps" ]; then _c shell; _umod -s "$USH" || return 1; fi
[ -z "$UGS" ] || _ugs; }
_umod(){ _has usermod || { _f nousermod; return 1; }; _x usermod "$@" "$UN"; }
_uadd(){
if _has useradd; then
set --; [ -z "$USY" ] || set -- -r; [ -n "$USY" ] && [ -z "$UH" ] || set -- "$@" -m
[ -z "$UH" ] || set -- "$@" -d "$UH"; [ -z "$USH" ] || set -- "$@" -s "$USH"
! _ge "$UN" || set -- "$@" -g "$UN"; [ -z "$UG" ] || set -- "$@" -G "$UG"; [ -z "$UK" ] || set -- "$@" -p '*'
_x useradd "$@" "$UN"; return
fi
set -- -D; [ -z "$USY" ] || set -- "$@" -S; [ -n "$USY" ] && [ -z "$UH" ] && set -- "$@" -H
[ -z "$UH" ] || set -- "$@" -h "$UH"; [ -z "$USH" ] || set -- "$@" -s "$USH"; ! _ge "$UN" || set -- "$@" -G "$UN"
_xn useradd adduser "$@" "$UN" || return 1
[ -z "$UK" ] || echo "$UN:*" | chpasswd -e || { _f run:chpasswd; return 1; }
_ifs=$IFS; IFS=,; set -- $UG; IFS=$_ifs
for _g; do _xn addgroup addgroup "$UN" "$_g" || return 1; done; }
_ugs(){ _cg=" $(id -Gn "$UN") "; _pg=$(id -gn "$UN")
_ifs=$IFS; IFS=,; set -- $UG; IFS=$_ifs; _wg=" $* $_pg "; _d=
for _g in $_cg; do case $_wg in *" $_g "*) ;; *) _d=1;; esac; done
for _g in $_wg; do case $_cg in *" $_g "*) ;; *) _d=1;; esac; done
[ -n "$_d" ] || return 0; _c groups
if _has usermod; then _x usermod -G "$UG" "$UN"; return; fi
for _g in $_wg; do case $_cg in *" $_g "*) ;; *) _xn addgroup addgroup "$UN" "$_g" || return 1;; esac; done
for _g in $_cg; do case $_wg in *" $_g "*) ;; *) _xn delgroup delgroup "$UN" "$_g" || return 1;; esac; done; }`,
  },

  // UN's ~/.ssh/authorized_keys holds exactly c() (sha256 H).
  keys: {
    needs: ['ent', 'put'],
    code: sh`
_keys(){ _pw "$UN" || return 0
[ -d "$_ph" ] || { _f nohome; return 1; }
_gi=$(id -g "$UN"); OW=$UN GR=$_gi P=$_ph/.ssh
# The user owns the home: a symlink there would have root chown or write wherever it points.
if [ -L "$P" ]; then _f notdir; return 1; fi
if [ -d "$P" ]; then MO=700; _st "$P"; _at "$P" || return 1
else _c keys; [ "$D" != 1 ] || return 0; _x mkdir -m 700 "$P" && _x chown "$UN:$_gi" "$P" || return 1; fi
P=$_ph/.ssh/authorized_keys MO=600 K=keys HC=1; _put; }`,
  },

  // Passwordless sudo for UN through sudoers file P (USU 1 grants, 0 revokes).
  sudo: {
    needs: ['ent', 'put'],
    code: sh`
_sudo(){
if [ "$USU" = 1 ]; then
_pw "$UN" || [ "$D" != 1 ] || return 0
[ -d "$\{P%/*}" ] || { _c sudo; [ "$D" != 1 ] || return 0; _x mkdir -p -m 755 "$\{P%/*}" || return 1; }
MO=440 OW=0 GR=0 V=1 K=sudo HC=1; _put
elif [ -e "$P" ]; then _c unsudo; _x rm -f "$P"; fi; }`,
  },

  // Group GN: GST state, GID, GSY system.
  group: {
    needs: ['ent'],
    code: sh`
_grp(){
if _ge "$GN"; then
if [ "$GST" = absent ]; then _c remove; if _has groupdel; then _x groupdel "$GN"; else _xn groupdel delgroup "$GN"; fi; return; fi
_gi=$\{_gl#*:*:}; _gi=$\{_gi%%:*}
[ -z "$GID" ] || [ "$_gi" = "$GID" ] || { _c gid; _has groupmod || { _f nogroupmod; return 1; }; _x groupmod -g "$GID" "$GN"; }
elif [ "$GST" != absent ]; then _c create
if _has groupadd; then set --; [ -z "$GSY" ] || set -- -r; [ -z "$GID" ] || set -- "$@" -g "$GID"; _x groupadd "$@" "$GN"
else set --; [ -z "$GSY" ] || set -- -S; [ -z "$GID" ] || set -- "$@" -g "$GID"; _xn groupadd addgroup "$@" "$GN"; fi
fi; }`,
  },

  // Service SN to state SS (started stopped restarted reloaded) and SE (1 enabled, 0 disabled),
  // through _sa (is active) _se (is enabled) _sen (enable/disable) _sc (control) of the init system.
  svc: {
    code: sh`
_svc(){ _svpre || return 1
if [ -n "$SE" ]; then if _se; then _ie=1; else _ie=0; fi
if [ "$_ie" != "$SE" ]; then if [ "$SE" = 1 ]; then _c enable; else _c disable; fi; [ "$D" = 1 ] || _sen "$SE" || return 1; fi; fi
[ -n "$SS" ] || return 0
if _sa; then _ia=1; else _ia=0; fi
case $SS:$_ia in
started:0|restarted:0|reloaded:0) _c start; _sc start;;
stopped:1) _c stop; _sc stop;;
restarted:1) _c restart; _sc restart;;
reloaded:1) _c reload; _sc reload;;
esac; }`,
  },
  // A unit file changed on disk is loaded first (daemon-reload), so start and restart use it.
  'svc-systemd': {
    needs: ['svc'],
    code: sh`
_svpre(){ [ "$(systemctl show -p NeedDaemonReload --value "$SN" 2>/dev/null)" != yes ] || _x systemctl daemon-reload; }
_sa(){ systemctl is-active --quiet "$SN"; }
_se(){ systemctl is-enabled --quiet "$SN" 2>/dev/null; }
_sen(){ if [ "$1" = 1 ]; then _xn systemctl systemctl enable "$SN"; else _xn systemctl systemctl disable "$SN"; fi; }
_sc(){ _xn systemctl systemctl "$1" "$SN"; }`,
  },
  'svc-openrc': {
    needs: ['svc'],
    code: sh`
_svpre(){ :; }
_sa(){ rc-service "$SN" status >/dev/null 2>&1; }
_se(){ [ -e "/etc/runlevels/default/$SN" ]; }
_sen(){ if [ "$1" = 1 ]; then _xn rc-update rc-update add "$SN" default; else _xn rc-update rc-update del "$SN" default; fi; }
_sc(){ _xn rc-service rc-service "$SN" "$1"; }`,
  },
  'svc-sysv': {
    needs: ['svc'],
    code: sh`
_svpre(){ [ -x "/etc/init.d/$SN" ] || { _f noinit; return 1; }; }
_sa(){ "/etc/init.d/$SN" status >/dev/null 2>&1; }
_se(){ if command -v chkconfig >/dev/null 2>&1; then chkconfig "$SN" >/dev/null 2>&1; else set -- /etc/rc[2345].d/S[0-9][0-9]"$SN"; [ -e "$1" ]; fi; }
_sen(){ if command -v update-rc.d >/dev/null 2>&1; then
if [ "$1" = 1 ]; then _xn update-rc.d update-rc.d "$SN" defaults && _xn update-rc.d update-rc.d "$SN" enable; else _xn update-rc.d update-rc.d "$SN" disable; fi
elif command -v chkconfig >/dev/null 2>&1; then if [ "$1" = 1 ]; then _xn chkconfig chkconfig "$SN" on; else _xn chkconfig chkconfig "$SN" off; fi
else _f noenable; fi; }
_sc(){ _xn init.d "/etc/init.d/$SN" "$1"; }`,
  },
} satisfies Record<string, Helper>

export type HelperName = keyof typeof helpers

/** Every helper's name (for tests that check each one). */
export const HELPER_NAMES = Object.keys(helpers) as HelperName[]

/** The helpers' code for these names and what they need, each once, in a stable order. */
export function helperCode(names: Iterable<HelperName>): string {
  const wanted = new Set<HelperName>()
  const add = (name: HelperName) => {
    if (wanted.has(name)) return
    wanted.add(name)
    for (const need of (helpers[name] as Helper).needs ?? []) add(need as HelperName)
  }
  add('core')
  for (const name of names) add(name)
  return (Object.keys(helpers) as HelperName[])
    .filter((name) => wanted.has(name))
    .map((name) => helpers[name].code)
    .join('\n')
}
