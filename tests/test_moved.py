"""Old import paths of moved modules still work, and warn where to import from instead."""

from __future__ import annotations

import importlib
import sys

import pytest

from socdata.errors import SocdataDeprecationWarning
from socdata.moved import MOVED, warn_moved

#: Moves of single names (functions), not of modules: each has its own test below.
NAME_MOVES = {
    "socdata.describe.all_tables",
    "socdata.describe.police_statements",
    "socdata.describe.police.police_statements",
    "socdata.io.read_extract",
}
MODULE_MOVES = {old: new for old, new in MOVED.items() if old not in NAME_MOVES}


@pytest.mark.parametrize(("old", "new"), sorted(MODULE_MOVES.items()))
def test_old_module_path_warns_and_reexports(old, new):
    target = importlib.import_module(new)
    sys.modules.pop(old, None)
    with pytest.warns(SocdataDeprecationWarning, match=rf"{old} has moved to {new}"):
        alias = importlib.import_module(old)
    assert list(alias.__all__) == list(target.__all__)
    for name in target.__all__:
        assert getattr(alias, name) is getattr(target, name), name


def test_describe_all_tables_alias():
    import socdata.describe
    from socdata.soceis.tables import all_tables

    with pytest.warns(SocdataDeprecationWarning, match="socdata.soceis.tables.all_tables"):
        assert socdata.describe.all_tables is all_tables
    with pytest.raises(AttributeError):
        socdata.describe.no_such_name  # noqa: B018


def test_io_read_extract_alias():
    import socdata.io
    from socdata.validate import read_extract

    with pytest.warns(SocdataDeprecationWarning, match="socdata.validate.read_extract"):
        assert socdata.io.read_extract is read_extract
    with pytest.warns(SocdataDeprecationWarning, match="socdata.validate.read_extract"):
        from socdata.io import read_extract as old
    assert old is read_extract
    with pytest.raises(AttributeError):
        socdata.io.no_such_name  # noqa: B018


def test_police_statements_aliases():
    import socdata.describe
    import socdata.describe.police
    from socdata.soceis.police_statements import police_statements

    new = "socdata.soceis.police_statements.police_statements"
    for module in (socdata.describe, socdata.describe.police):
        with pytest.warns(SocdataDeprecationWarning, match=new) as rec:
            assert module.police_statements is police_statements
        assert rec[0].filename == __file__
    with pytest.raises(AttributeError):
        socdata.describe.police.no_such_name  # noqa: B018
    # the old import statement works too
    with pytest.warns(SocdataDeprecationWarning, match=new):
        from socdata.describe.police import police_statements as old  # noqa: F401


def test_warning_points_at_the_importer():
    with pytest.warns(SocdataDeprecationWarning) as rec:
        warn_moved("socdata.compare", stacklevel=2)
    assert rec[0].filename == __file__
    with pytest.raises(KeyError):
        warn_moved("socdata.not_moved")
