"""``python -m services.intake``: run the intake service alone (same as ``gongkai serve intake``)."""

from gongkai.cli import main

main(["serve", "intake"])
