"""The portal's shared look: one base page (header, navigation, styles) for every service's pages.

Each service renders its own pages from its own templates; they extend ``base.html`` from here,
so the citizen sees one site whichever service answers behind the gateway.
"""

from __future__ import annotations

from pathlib import Path

import jinja2
from fastapi.templating import Jinja2Templates

__all__ = ["BASE_TEMPLATES", "portal_templates"]

BASE_TEMPLATES = Path(__file__).parent / "templates"


def portal_templates(directory: Path) -> Jinja2Templates:
    """Templates from a service's ``directory``, with the portal's ``base.html`` available to extend."""
    loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(directory), jinja2.FileSystemLoader(BASE_TEMPLATES)])
    env = jinja2.Environment(loader=loader, autoescape=True)
    return Jinja2Templates(env=env)
