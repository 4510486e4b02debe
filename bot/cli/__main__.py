"""`python -m bot.cli`: the `melodiclens` command."""

import sys

from bot.cli.main import main

sys.exit(main())
