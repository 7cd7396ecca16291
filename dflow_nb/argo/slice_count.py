"""List the items of an artifact: the script of the init step of a sliced input artifact.

``python -m dflow_nb.argo.slice_count PATH [--count FILE]`` prints the items of the artifact at
PATH as a JSON list (``{"index", "path"}`` plus ``"key"`` when cataloged with one), in the order
the OP sees them (``dflow_nb.python.catalog.artifact_items``: the ``.dflow/*.json`` catalogs sorted by
order, else the directory's entries sorted by name, else the file itself); with ``--count`` it
also writes the number of items to FILE (the init template's output parameter).

The compiler runs this file's own text as a script template (``init_source``), so the module
uses the standard library only: any Python image can run it, dflow_nb need not be installed.
"""
import json
import os
import sys

CATALOG_DIR = ".dflow"


def list_items(root):
    """The artifact's items in order: dicts with ``index``, ``path`` (relative, or None) and
    ``key`` when the catalog has one."""
    items = None
    cat = os.path.join(root, CATALOG_DIR)
    if os.path.isdir(root) and os.path.isdir(cat):
        items = []
        for name in sorted(os.listdir(cat)):
            if name.endswith(".json"):
                with open(os.path.join(cat, name)) as f:
                    items.extend(json.load(f)["items"])
        items.sort(key=lambda it: it["order"])
    elif os.path.isdir(root):
        items = [{"path": name} for name in sorted(os.listdir(root)) if name != CATALOG_DIR]
    else:
        items = [{"path": os.path.basename(root)}]
    out = []
    for i, it in enumerate(items):
        d = {"index": i, "path": it.get("path")}
        if "key" in it:
            d["key"] = it["key"]
        out.append(d)
    return out


def main(argv=None):
    args = list(sys.argv[1:] if argv is None else argv)
    count = None
    if "--count" in args:
        at = args.index("--count")
        count = args[at + 1]
        del args[at:at + 2]
    if len(args) != 1:
        sys.stderr.write("usage: python -m dflow_nb.argo.slice_count PATH [--count FILE]\n")
        return 2
    if not os.path.exists(args[0]):
        sys.stderr.write("artifact %s does not exist\n" % args[0])
        return 1
    items = list_items(args[0])
    if count is not None:
        parent = os.path.dirname(count)
        if parent:
            os.makedirs(parent, exist_ok=True)
        with open(count, "w") as f:
            f.write(str(len(items)))
    sys.stdout.write(json.dumps(items, separators=(",", ":")) + "\n")
    return 0


def init_source(path, count_file):
    """The script-template source that lists the artifact at ``path`` (this module's text)."""
    import inspect
    text = inspect.getsource(sys.modules[__name__])
    text = text[:text.rindex("\nif __name__ == ")]
    return "%s\n\nsys.exit(main([%r, '--count', %r]))\n" % (text, path, count_file)


if __name__ == "__main__":
    sys.exit(main())
