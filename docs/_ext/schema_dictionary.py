"""Sphinx extension: the data dictionary, generated from ``data/schemas/*.yaml`` at build time.

Usage in a MyST page::

    ```{schema-dictionary}
    ```

renders every extract kind (or only those named as arguments) as a section with the schema
version, unit, source, the report's definitions, a column table and a rule table.  Nothing
generated is committed, so the dictionary cannot drift from the schema files; each YAML file
is registered as a dependency so an edited schema rebuilds the page.
"""

from __future__ import annotations

from docutils import nodes
from sphinx.util.docutils import SphinxDirective


def _table(header: list[str], rows: list[list[str]], widths: list[int]) -> nodes.table:
    table = nodes.table(classes=["schema-table"])
    group = nodes.tgroup(cols=len(header))
    table += group
    for w in widths:
        group += nodes.colspec(colwidth=w)
    thead = nodes.thead()
    group += thead
    hrow = nodes.row()
    for h in header:
        hrow += nodes.entry("", nodes.paragraph(text=h))
    thead += hrow
    tbody = nodes.tbody()
    group += tbody
    for r in rows:
        row = nodes.row()
        for cell in r:
            entry = nodes.entry()
            if cell.startswith("``") and cell.endswith("``"):
                entry += nodes.paragraph("", "", nodes.literal(text=cell[2:-2]))
            else:
                entry += nodes.paragraph(text=cell)
            row += entry
        tbody += row
    return table


def _rule_params(rule) -> str:
    p = dict(rule.params)
    parts = []
    if "when" in p:
        w = p.pop("when")
        cond = ", ".join(f"{k} {v}" for k, v in w.items() if k != "column")
        parts.append(f"when {w['column']} {cond}")
    for key, value in p.items():
        if key == "cite":
            continue
        if isinstance(value, list):
            value = ", ".join(map(str, value))
        elif isinstance(value, dict):
            value = "; ".join(f"{k} -> {v}" for k, v in value.items())
        parts.append(f"{key}: {value}")
    return "; ".join(parts)


class SchemaDictionary(SphinxDirective):
    """Render the data dictionary of one, several or all extract kinds."""

    has_content = False
    optional_arguments = 20

    def run(self) -> list[nodes.Node]:
        from socdata.schemas import KINDS, load_spec

        kinds = self.arguments or list(KINDS)
        out: list[nodes.Node] = []
        for kind in kinds:
            spec = load_spec(kind)
            self.env.note_dependency(str(spec.path))
            section = nodes.section(ids=[f"schema-{kind}"], names=[f"schema-{kind}"])
            section += nodes.title(text=f"{kind} (schema version {spec.version})")
            section += nodes.paragraph(text=f"{spec.title}: {spec.unit}.")
            if spec.source:
                section += nodes.paragraph(text=f"Source: {spec.source}")
            section += nodes.paragraph(
                text=f"Schema file: data/schemas/{spec.path.name}. "
                f"Key: {', '.join(spec.primary_key) or '(none)'}."
            )
            if spec.definitions:
                dl = nodes.definition_list()
                for d in spec.definitions:
                    item = nodes.definition_list_item()
                    item += nodes.term(text=d["term"])
                    definition = nodes.definition()
                    definition += nodes.paragraph(text=d["words"])
                    item += definition
                    dl += item
                section += nodes.rubric(text="Definitions")
                section += dl
            rows = []
            for c in spec.columns:
                values = ""
                if c.allowed:
                    values = " | ".join(c.allowed)
                elif c.min is not None or c.max is not None:
                    values = f"{c.min if c.min is not None else ''} to {c.max if c.max is not None else ''}"
                elif c.pattern:
                    values = f"matches {c.pattern}"
                synonyms = "; ".join(f"{k} -> {v}" for k, v in c.synonyms.items())
                rows.append(
                    [
                        f"``{c.name}``",
                        c.dtype + (" (masked)" if c.name in spec.sensitive_names else ""),
                        "yes" if c.required else "no",
                        "yes" if c.nullable else "no",
                        values,
                        ", ".join(c.aliases),
                        synonyms,
                        c.description,
                    ]
                )
            section += nodes.rubric(text="Columns")
            section += _table(
                [
                    "column",
                    "type",
                    "required column",
                    "may be empty",
                    "allowed values",
                    "other names (aliases)",
                    "label synonyms",
                    "description",
                ],
                rows,
                [14, 8, 6, 6, 16, 14, 16, 20],
            )
            section += nodes.rubric(text="Rules")
            section += _table(
                ["rule", "severity", "check", "parameters", "in words"],
                [
                    [f"``{r.id}``", r.severity, r.check, _rule_params(r), r.words]
                    for r in spec.rules
                ],
                [10, 7, 12, 25, 46],
            )
            if spec.links:
                section += nodes.rubric(text="Rules across extracts")
                section += nodes.paragraph(
                    text="Checked by socdata.validate.validate_links when the other extract "
                    "is given too (socdata validate --bundled runs them on the bundled files)."
                )
                section += _table(
                    ["rule", "severity", "check", "parameters", "in words"],
                    [
                        [f"``{r.id}``", r.severity, r.check, _rule_params(r), r.words]
                        for r in spec.links
                    ],
                    [10, 7, 12, 25, 46],
                )
            out.append(section)
        return out


def setup(app):
    """Register the directive."""
    app.add_directive("schema-dictionary", SchemaDictionary)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
