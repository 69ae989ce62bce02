#!/usr/bin/env python
"""Same as the `qualitas` command, for those who expect manage.py."""

import sys

from qualitas.cli import main

if __name__ == "__main__":
    sys.exit(main())
