"""``python -m socdata`` runs the command line."""

import sys

from socdata.cli import main

sys.exit(main())
