#!/usr/bin/env python3
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - says so plainly on an older Python
        sys.exit("Influence needs Python 3.11 or newer; this is " + sys.version.split()[0])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "influence.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
