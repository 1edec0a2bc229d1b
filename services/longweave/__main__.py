import sys

from longweave.cli import main

sys.exit(main())
