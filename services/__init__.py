"""The four services: intake, review, publish, stats. They never import each other."""
