"""``python -m services.review``: run the review service alone (same as ``gongkai serve review``)."""

from gongkai.cli import main

main(["serve", "review"])
