"""``python -m dflow_nb.cli``: the same as the ``dflow-nb`` command."""
import sys

from dflow_nb.cli import main

sys.exit(main())
