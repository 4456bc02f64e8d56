"""Sphinx extension: the ``public-api`` directive, a summary table of ``socdata.__all__``.

The table is built from the package itself at build time, so the reference lists exactly
what ``dir(socdata)`` shows: each public name with the first line of its docstring, linked
to its page (functions under the module that defines them, subpackages to their own page).
"""

from __future__ import annotations

import inspect

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective


class PublicApi(SphinxDirective):
    """``.. public-api::``: an autosummary of every name in ``socdata.__all__``."""

    has_content = False

    def run(self):
        import socdata

        targets = []
        for name in socdata.__all__:
            if name.startswith("__"):
                continue
            obj = getattr(socdata, name)
            targets.append(obj.__name__ if inspect.ismodule(obj) else f"{obj.__module__}.{name}")
        lines = [".. autosummary::", "   :nosignatures:", ""] + [f"   {t}" for t in targets]
        holder = nodes.container()
        self.state.nested_parse(StringList(lines, "<public-api>"), self.content_offset, holder)
        return holder.children


def setup(app):
    app.setup_extension("sphinx.ext.autosummary")
    app.add_directive("public-api", PublicApi)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
