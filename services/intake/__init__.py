"""Intake: accepts everything that enters the agency, validates and normalises it, emits ``*.received``."""

from services.intake.service import build

__all__ = ["build"]
