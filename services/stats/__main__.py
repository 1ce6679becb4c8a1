"""``python -m services.stats``: run the stats service alone (same as ``gongkai serve stats``)."""

from gongkai.cli import main

main(["serve", "stats"])
