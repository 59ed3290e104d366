"""``python -m tf1_recsys``: the ``tf1-recsys`` command."""
import sys

from tf1_recsys.cli import main

sys.exit(main())
