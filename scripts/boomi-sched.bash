# bash completion for boomi-sched: commands, each command's flags, and job names from the
# configuration (the one --config names on the line, else the default). The words come from
# the binary itself (`boomi-sched __complete ...`), so they match the installed version.
# Installed as <prefix>/share/bash-completion/completions/boomi-sched.

_boomi_sched() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
  local bin=${COMP_WORDS[0]}
  if ((COMP_CWORD == 1)); then
    COMPREPLY=($(compgen -W "$("$bin" __complete commands 2>/dev/null) --help --version" -- "$cur"))
    return
  fi
  local cmd=${COMP_WORDS[1]}
  case $prev in
    --config | --cert | --key)
      compopt -o filenames 2>/dev/null
      COMPREPLY=($(compgen -f -- "$cur"))
      return
      ;;
    --log-level)
      COMPREPLY=($(compgen -W "trace debug info warning error" -- "$cur"))
      return
      ;;
  esac
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$("$bin" __complete flags "$cmd" 2>/dev/null)" -- "$cur"))
    return
  fi
  case $cmd in
    store)
      if ((COMP_CWORD == 2)); then COMPREPLY=($(compgen -W "copy" -- "$cur")); fi
      ;;
    next | history | trigger | pause | resume | exec)
      local i config=()
      for ((i = 2; i < COMP_CWORD; i++)); do
        if [[ ${COMP_WORDS[i]} == --config ]]; then config=(--config "${COMP_WORDS[i + 1]}"); fi
      done
      COMPREPLY=($(compgen -W "$("$bin" __complete jobs "${config[@]}" 2>/dev/null)" -- "$cur"))
      ;;
  esac
}

complete -F _boomi_sched boomi-sched
