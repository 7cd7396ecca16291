"""``completion bash|zsh``: a shell completion script generated from the parser itself.

Verbs, options and option choices come from the argparse tree, so the script never lags the
command; run ids are completed by calling ``dflow-nb list -o name`` (with the command line's
``--workdir``/``--host``/``--local``/``--argo``), files with the shell's own completion. No
dependency: zsh runs the same function through ``bashcompinit``.
"""
from __future__ import annotations

import argparse
import shlex
from typing import Dict, List

from dflow_nb.cli._options import Subparsers, add_verb
from dflow_nb.cli._output import emit
from dflow_nb.cli.exit_codes import OK

TARGET_WITH_VALUE = ("--workdir", "--host", "-n", "--namespace")

TEMPLATE = r"""# dflow-nb completion for bash (zsh: dflow-nb completion zsh)
# Load it with:  source <(dflow-nb completion bash)
_dflow_nb_runs() {
    local target=() i w
    for ((i = 1; i < ${#COMP_WORDS[@]}; i++)); do
        w=${COMP_WORDS[i]}
        case $w in
            --local|--argo) target+=("$w") ;;
            --workdir|--host|-n|--namespace) target+=("$w" "${COMP_WORDS[i+1]}") ;;
        esac
    done
    command dflow-nb list -o name "${target[@]}" 2>/dev/null
}
_dflow_nb() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
    local verb="" npos=0 i w skip=0
    for ((i = 1; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        if ((skip)); then skip=0; continue; fi
        case $w in
            @VALUE_OPTIONS@) skip=1 ;;
            -*) ;;
            *) if [[ -z $verb ]]; then verb=$w; else npos=$((npos + 1)); fi ;;
        esac
    done
    case $verb:$prev in
        *:--workdir) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- "$cur")); return ;;
@VALUE_CASES@
        @VALUE_PATTERNS@) COMPREPLY=(); return ;;   # a value to type
    esac
    if [[ -z $verb ]]; then
        COMPREPLY=($(compgen -W "@VERBS@ @TOP_OPTIONS@" -- "$cur"))
        return
    fi
    if [[ $cur == -* ]]; then
        case $verb in
@OPTION_CASES@
        esac
        return
    fi
    case $verb:$npos in
@POSITIONAL_CASES@
    esac
}
complete -F _dflow_nb dflow-nb
"""

ZSH_PREFIX = "autoload -U +X bashcompinit && bashcompinit\n"


def _subparsers(parser: argparse.ArgumentParser) -> Dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _words(words: List[str]) -> str:
    return " ".join(sorted(set(words)))


def _positional(metavar: str) -> str:
    """The compgen call that completes a positional argument of this kind."""
    runs = '$(compgen -W "$(_dflow_nb_runs)" -- "$cur")'
    files = '$(compgen -f -- "$cur")'
    if metavar == "FILE":
        return f"compopt -o filenames 2>/dev/null; COMPREPLY=({files})"
    if metavar == "RUN":
        return f"COMPREPLY=({runs} $(compgen -W '@latest' -- \"$cur\"))"
    if metavar == "FILE|RUN":
        return f"compopt -o filenames 2>/dev/null; COMPREPLY=({files} {runs})"
    if metavar == "SHELL":
        return "COMPREPLY=($(compgen -W 'bash zsh' -- \"$cur\"))"
    return "COMPREPLY=()"


def bash_script(parser: argparse.ArgumentParser) -> str:
    """The bash completion function for this parser."""
    verbs = _subparsers(parser)
    value_options = set(TARGET_WITH_VALUE)
    value_cases: List[str] = []
    option_cases, positional_cases = [], []
    for name, p in sorted(verbs.items()):
        options: List[str] = []
        npos = 0
        for a in p._actions:
            if not a.option_strings:
                index = "*" if a.nargs in ("+", "*") else str(npos)
                positional_cases.append(f"        {name}:{index}) "
                                        f"{_positional(str(a.metavar or a.dest))} ;;")
                npos += 1
                continue
            options += a.option_strings
            if a.nargs == 0 or set(a.option_strings) & set(TARGET_WITH_VALUE):
                continue
            value_options.update(a.option_strings)
            pattern = "|".join(f"{name}:{o}" for o in a.option_strings)
            if a.choices:
                words = shlex.quote(_words([str(c) for c in a.choices]))
                value_cases.append(f'        {pattern}) COMPREPLY=($(compgen -W {words} -- '
                                   '"$cur")); return ;;')
            elif a.metavar == "FILE":
                value_cases.append(f"        {pattern}) compopt -o filenames 2>/dev/null; "
                                   'COMPREPLY=($(compgen -f -- "$cur")); return ;;')
        option_cases.append(f"            {name}) COMPREPLY=($(compgen -W "
                            f"{shlex.quote(_words(options))} -- \"$cur\")) ;;")
    top_options = [s for a in parser._actions for s in a.option_strings]
    return (TEMPLATE
            .replace("@VALUE_OPTIONS@", "|".join(sorted(value_options)))
            .replace("@VALUE_PATTERNS@", "|".join(f"*:{o}" for o in sorted(value_options)))
            .replace("@VALUE_CASES@", "\n".join(value_cases))
            .replace("@VERBS@", _words(list(verbs)))
            .replace("@TOP_OPTIONS@", _words(top_options))
            .replace("@OPTION_CASES@", "\n".join(option_cases))
            .replace("@POSITIONAL_CASES@", "\n".join(positional_cases)))


def cmd_completion(args: argparse.Namespace) -> int:
    script = bash_script(args.parser)
    emit(ZSH_PREFIX + script if args.shell == "zsh" else script)
    return OK


def register(sub: Subparsers) -> None:
    p = add_verb(sub, "completion", "print a shell completion script", """
        Print the completion script for bash or zsh: verbs, options, option values, files
        and run ids (from `dflow-nb list -o name`).""", """
        source <(dflow-nb completion bash)                  # this shell
        dflow-nb completion bash > ~/.local/share/bash-completion/completions/dflow-nb
        echo 'source <(dflow-nb completion zsh)' >> ~/.zshrc""", cmd_completion)
    p.add_argument("shell", metavar="SHELL", choices=["bash", "zsh"], help="bash or zsh")
