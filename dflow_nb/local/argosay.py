"""A stand-in for the entrypoint of Argo's test image ``argoproj/argosay:v2``, which Argo's own
examples and tests use; the local engine runs this (a file of its own, no imports of
dflow_nb) for a container of that image that names no command. What it does, by its first
argument: none prints ``hello argo``; ``echo [TEXT [FILE]]`` prints TEXT (or ``hello argo``)
or writes it to FILE (parent directories made); ``cat FILE``; ``exit [CODE]``; ``sleep
DURATION`` (``30``, ``30s``, ``2m``...); ``assert_contains FILE TEXT`` prints FILE's lines
holding TEXT and fails when there are none; ``sh FILE``; anything else fails (exit 1)."""
import subprocess
import sys
import time
from pathlib import Path
from typing import List

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def main(argv: List[str]) -> int:
    verb, rest = (argv[0], argv[1:]) if argv else ("", [])
    if verb == "" or (verb == "echo" and not rest):
        print("hello argo")
    elif verb == "echo" and len(rest) == 1:
        print(rest[0])
    elif verb == "echo" and len(rest) == 2:
        Path(rest[1]).parent.mkdir(parents=True, exist_ok=True)
        Path(rest[1]).write_text(rest[0] + "\n")
    elif verb == "cat" and rest:
        sys.stdout.write(Path(rest[0]).read_text())
    elif verb == "exit":
        return int(rest[0]) if rest else 0
    elif verb == "sleep" and rest:
        text = rest[0]
        unit = _UNITS.get(text[-1:], 1)
        time.sleep(float(text[:-1] if text[-1:] in _UNITS else text) * unit)
    elif verb == "assert_contains" and len(rest) == 2:
        found = [ln for ln in Path(rest[0]).read_text().splitlines() if rest[1] in ln]
        for ln in found:
            print(ln)
        return 0 if found else 1
    elif verb == "sh":
        return subprocess.call(["sh", rest[0] if rest else "0"])
    else:
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except (OSError, ValueError) as exc:
        print(f"argosay: {exc}", file=sys.stderr)
        sys.exit(1)
