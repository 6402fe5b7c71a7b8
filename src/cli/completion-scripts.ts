/**
 * Shell completion scripts. Each hands the words typed so far to `BIN complete -- WORDS…` (never
 * through eval: a typed `$(…)` stays text) and offers its candidates; its last line says whether to
 * offer file names instead (`:files`) or to add no space (`:nospace`).
 */
export const SHELLS = ['bash', 'zsh', 'fish'] as const
export type Shell = (typeof SHELLS)[number]

/** A bin name as a shell function name part. */
function ident(bin: string): string {
  return bin.replace(/[^A-Za-z0-9_]/g, '_')
}

function bash(bin: string): string {
  const f = `_${ident(bin)}_complete`
  return `# bash completion for ${bin}: source <(${bin} autocomplete bash)
${f}() {
  local cur=\${COMP_WORDS[COMP_CWORD]} line=\${COMP_LINE:0:COMP_POINT}
  local -a words out
  # The words up to the cursor, split on blanks as typed; an empty last word after a blank.
  read -r -a words <<< "$line"
  [[ $line =~ [[:space:]]$ ]] && words+=("")
  mapfile -t out < <(command ${bin} complete -- "\${words[@]:1}" 2>/dev/null)
  local directive=\${out[\${#out[@]}-1]}
  unset 'out[\${#out[@]}-1]'
  COMPREPLY=()
  case $directive in
  :files) compopt -o default; return 0 ;;
  :nospace) compopt -o nospace ;;
  :plain) ;;
  *) return 0 ;;
  esac
  # Candidates are filtered here, not by compgen -W, which would expand them.
  local c
  for c in "\${out[@]}"; do [[ $c == "$cur"* ]] && COMPREPLY+=("$c"); done
  return 0
}
complete -F ${f} ${bin}
`
}

function zsh(bin: string): string {
  const f = `_${ident(bin)}`
  return `#compdef ${bin}
# zsh completion for ${bin}: source <(${bin} autocomplete zsh), after compinit
${f}() {
  local -a out
  out=("\${(@f)$(command ${bin} complete -- "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  local directive=\${out[-1]}
  out=("\${(@)out[1,-2]}")
  case $directive in
  :files) _files ;;
  :nospace) compadd -S '' -- "\${(@)out}" ;;
  :plain) compadd -- "\${(@)out}" ;;
  esac
}
if [[ \${zsh_eval_context[-1]} == loadautofunc ]]; then
  ${f} "$@"
else
  compdef ${f} ${bin}
fi
`
}

function fish(bin: string): string {
  const f = `__${ident(bin)}_complete`
  return `# fish completion for ${bin}: ${bin} autocomplete fish > ~/.config/fish/completions/${bin}.fish
function ${f}
    set -l words (commandline -opc) (commandline -ct)
    set -l out (command ${bin} complete -- $words[2..-1] 2>/dev/null)
    test (count $out) -gt 0; or return
    set -l directive $out[-1]
    set -e out[-1]
    switch $directive
        case :files
            __fish_complete_path (commandline -ct)
        case :plain :nospace
            printf '%s\\n' $out
    end
end
complete -c ${bin} -f -a '(${f})'
`
}

/** The completion script of SHELL for the program BIN. */
export function completionScript(shell: Shell, bin: string): string {
  return { bash, zsh, fish }[shell](bin)
}
