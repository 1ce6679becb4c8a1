"""``python -m services.console``: run the console alone (same as ``gongkai serve console``)."""

from gongkai.cli import main

main(["serve", "console"])
