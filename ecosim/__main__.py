"""``python -m ecosim``."""

import sys

# Run from the folder that holds a clone named ecosim, Python may take that folder (it has no
# __init__.py) for a namespace package called ecosim. ecosim's own editable install puts the clone
# on the path as a regular package, which always wins; an install made otherwise (an older ecosim,
# another tool) may not. Say what to do instead of failing on an import deep inside.
_package = sys.modules.get("ecosim")
if _package is not None and getattr(_package, "__file__", None) is None:
    _where = ", ".join(dict.fromkeys(getattr(_package, "__path__", None) or ["?"]))
    sys.stderr.write(
        f"error: Python took the folder {_where} for the ecosim package; run "
        "`python -m pip install -e .` again inside your clone of ecosim, or run from another folder\n"
    )
    sys.exit(2)

from ecosim.cli import entry  # noqa: E402

if __name__ == "__main__":
    entry()
