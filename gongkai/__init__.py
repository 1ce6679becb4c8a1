"""Gongkai (公开): the kernel shared by the intake, review, publish and stats services."""

__version__ = "0.1.0"
