"""`python -m crawler.extract` entry point."""

import sys

from .cli import main

sys.exit(main())
