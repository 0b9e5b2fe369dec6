"""A griffe extension: Sphinx roles in the docstrings read as code on the site.

capsim's numpydoc docstrings name other objects with Sphinx roles
(``:class:`~capsim.errors.CapsimWarning```, ``:meth:`Scenario.replace```), which
mkdocstrings would print as they are. This turns each into inline code of the name
as Sphinx shows it (a ``~`` keeps the last part only).
"""

from __future__ import annotations

import re
from typing import Any

from griffe import Extension

_ROLE = re.compile(r":(?:py:)?(?:class|meth|func|mod|attr|data|exc|obj|const):`(~?)([^`]+)`")


def plain_roles(text: str) -> str:
    """``text`` with each Sphinx role turned into inline code."""
    return _ROLE.sub(lambda m: f"`{m.group(2).rsplit('.', 1)[-1] if m.group(1) else m.group(2)}`",
                     text)


class SphinxRoles(Extension):
    """Rewrite the roles of every docstring griffe loads."""

    def on_instance(self, *, obj: Any, **kwargs: Any) -> None:
        """Rewrite ``obj``'s docstring, if it has one."""
        if obj.docstring is not None:
            obj.docstring.value = plain_roles(obj.docstring.value)
