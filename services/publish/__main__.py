"""``python -m services.publish``: run the publish service alone (same as ``gongkai serve publish``)."""

from gongkai.cli import main

main(["serve", "publish"])
