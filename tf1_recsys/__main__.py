import sys

from tf1_recsys.cli import main

sys.exit(main())
