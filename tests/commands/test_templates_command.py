"""``socdata templates``: writes the workbooks and the package, refuses to overwrite, --check."""

from __future__ import annotations

import json

from socdata.cli import main
from socdata.paths import synthetic_dir


def test_templates_command(tmp_path, capsys):
    out = tmp_path / "tpl"
    assert (
        main(["templates", "--out", str(out), "--kind", "nrm", "--check", str(synthetic_dir())])
        == 0
    )
    assert (out / "nrm.xlsx").is_file()
    pkg = json.loads((out / "datapackage.json").read_text())
    assert [r["name"] for r in pkg["resources"]] == ["nrm"]
    assert "nrm                  valid" in capsys.readouterr().out
    assert not (out / "_check").exists()
    assert main(["templates", "--out", str(out), "--kind", "nrm"]) == 2
    assert "--overwrite" in capsys.readouterr().err
    bad = tmp_path / "bad"
    bad.mkdir()
    text = (synthetic_dir() / "nrm.csv").read_text().replace("Police", "Astrologer", 1)
    (bad / "nrm.csv").write_text(text)
    assert (
        main(["templates", "--out", str(out), "--kind", "nrm", "--overwrite", "--check", str(bad)])
        == 1
    )
