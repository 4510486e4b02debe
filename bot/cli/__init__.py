"""The `melodiclens` command (`bot.cli:main`, or `python -m bot.cli`): a module per subcommand."""

from bot.cli.main import main

__all__ = ["main"]
