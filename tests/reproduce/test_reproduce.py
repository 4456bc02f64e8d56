"""``socdata reproduce`` orchestration, on throw-away notebooks and data folders.

The real notebooks on the bundled synthetic data are executed in ``test_notebooks.py``.
"""

from __future__ import annotations

import json
import textwrap

import pandas as pd
import pytest

import socdata.reproduce as rp
from socdata.cli import main
from socdata.report import DisclosureOffWarning
from socdata.results import TIDY_COLUMNS
from socdata.run_folders import claim_output_folder, record_outputs

HEADER = textwrap.dedent(
    """\
    # %% tags=["parameters"]
    data_dir = None
    out_dir = "out"
    disclosure = "auto"
    swimmer_plots = "auto"
    run_context = None

    """
)

GOOD = HEADER + textwrap.dedent(
    """\
    # %%
    import matplotlib.pyplot as plt
    import pandas as pd

    from socdata.pipeline import RunContext
    from socdata.report import save_figure, write_frame, write_table

    ctx = RunContext.for_notebook(run_context, data_dir=data_dir, out_dir=out_dir)
    out_dir = ctx.out_dir
    t = pd.DataFrame(
        {
            "table_id": "table4_case_status",
            "row_label": ["Open", "Open", "Open"],
            "column_label": ["Cardiff", "Dundee", "Overall"],
            "measure": "n",
            "value": [20, 4, 24],
        }
    )
    write_table(t, out_dir, disclosure=ctx.rules)
    params = pd.DataFrame(
        {
            "param": ["data_dir", "disclosure", "swimmer_plots", "classic_disclosure"],
            "got": [str(ctx.data_dir), ctx.rules.name, str(ctx.swimmer_plots), disclosure],
        }
    )
    write_frame(params, out_dir, name="params", disclosure="none")
    fig, ax = plt.subplots()
    ax.plot([1, 2])
    save_figure(fig, out_dir, name="line")

    # %%
    import warnings

    from socdata.errors import ExcludedRowsWarning

    warnings.warn("3 of 120 people excluded (no referral date: 3)", ExcludedRowsWarning)
    """
)

BAD = HEADER + textwrap.dedent(
    """\
    # %%
    x = 1

    # %%
    y = x / 0
    """
)


def make_notebooks(folder, **notebooks):
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in notebooks.items():
        (folder / f"{name}.py").write_text(text)
    return folder


def make_data(folder):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "service.csv").write_text("person_id,area\nX1,Cardiff\n")
    return folder


@pytest.fixture(scope="module")
def good_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("reproduce")
    nbs = make_notebooks(base / "notebooks", **{"10_good": GOOD})
    data = make_data(base / "data")
    out = base / "out"
    # a previous run's output (listed in the folder's ownership file) and a user's own file
    previous = claim_output_folder(out, data_dir=data)
    (out / "tables").mkdir(parents=True)
    (out / "tables" / "stale_table.csv").write_text("a\n1\n")
    record_outputs(previous)
    lines: list[str] = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("socdata.pipeline.run.notebooks_dir", lambda: nbs)
        run = rp.reproduce(data, out, progress=lines.append)
    return run, lines, data, out


@pytest.mark.slow
def test_run_succeeds_and_writes_everything(good_run):
    run, lines, _data, out = good_run
    assert run.ok, run.summary()
    assert not run.synthetic and run.disclosure == "soceis-default-v1"
    assert (out / "report.html").is_file() and (out / "manifest.json").is_file()
    assert (out / "figures" / "line.png").is_file()
    assert (out / "notebooks" / "10_good.ipynb").is_file()
    assert not (out / "tables" / "stale_table.csv").exists()  # previous outputs cleared
    assert any(line.startswith("[3/5]") for line in lines) and "ok in" in " ".join(lines)


@pytest.mark.slow
def test_parameters_and_disclosure_reach_the_notebook(good_run):
    _, _, data, out = good_run
    params = pd.read_csv(out / "tables" / "params.csv").set_index("param")["got"]
    assert params["data_dir"] == str(data.resolve())
    assert params["disclosure"] == "soceis-default-v1"
    assert params["classic_disclosure"] == "auto"  # the context, not the parameter, decides
    assert params["swimmer_plots"] == "False"  # real data: off unless asked
    table = pd.read_csv(out / "tables" / "table4_case_status.csv").set_index("column_label")
    assert table.loc["Dundee", "disclosure_status"] == "suppressed (count 1-9)"
    assert table.loc["Cardiff", "disclosure_status"] == "suppressed (secondary)"


@pytest.mark.slow
def test_manifest_records_inputs_and_notebooks(good_run):
    _, _, _data, out = good_run
    m = json.loads((out / "manifest.json").read_text())
    assert m["inputs"]["service.csv"].startswith("sha256:")
    assert m["parameters"]["disclosure"] == "soceis-default-v1"
    assert m["notebooks"][0]["name"] == "10_good.py" and m["notebooks"][0]["seconds"] > 0
    assert m["data"]["synthetic"] is False
    assert m["status"] == "ok"
    assert "tables/table4_case_status.csv" in m["outputs"]


@pytest.mark.slow
def test_failing_notebook_fails_the_run_with_cell_and_error(tmp_path, monkeypatch, capsys):
    nbs = make_notebooks(tmp_path / "nb", **{"05_bad": BAD})
    monkeypatch.setattr("socdata.pipeline.run.notebooks_dir", lambda: nbs)
    data = make_data(tmp_path / "data")
    with pytest.warns(DisclosureOffWarning):
        code = main(
            [
                "reproduce",
                "--data",
                str(data),
                "--out",
                str(tmp_path / "out"),
                "--quiet",
                "--disclosure",
                "none",
            ]
        )
    err = capsys.readouterr().err
    assert code == 1
    assert "05_bad.py" in err and "ZeroDivisionError" in err and "cell" in err
    report = (tmp_path / "out" / "report.html").read_text()
    assert "FAILED" in report and "DISCLOSURE CONTROL IS SWITCHED OFF" in report
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["status"] == "failed"


def test_bad_options_are_user_errors(tmp_path, capsys):
    assert main(["reproduce", "--data", str(tmp_path / "nope"), "--out", str(tmp_path)]) == 2
    assert "does not exist" in capsys.readouterr().err
    with pytest.raises(rp.ReproduceError, match="soceis-default-v1"):
        rp.reproduce(make_data(tmp_path / "d"), tmp_path / "o", disclosure="tight", progress=None)
    with pytest.raises(rp.ReproduceError, match="no notebook"):
        rp.reproduce(None, tmp_path / "o", notebooks=["99"], progress=None)


def test_list_notebooks_orders_by_number(tmp_path):
    make_notebooks(tmp_path, **{"10_b": "", "02_a": "", "10_a": "", "helper": "", "1_x": ""})
    assert [p.name for p in rp.list_notebooks(tmp_path)] == ["02_a.py", "10_a.py", "10_b.py"]


@pytest.mark.slow
def test_notebook_warnings_reach_the_report_masked(good_run):
    run, _, _data, out = good_run
    (nb,) = run.notebooks
    assert "ExcludedRowsWarning: 3 of 120 people excluded (no referral date: 3)" in nb.warnings
    html = (out / "report.html").read_text()
    assert "[c] of 120 people excluded (no referral date: [c])" in html  # real data: masked
    manifest = json.loads((out / "manifest.json").read_text())
    assert (
        "ExcludedRowsWarning: [c] of 120 people excluded (no referral date: [c])"
        in manifest["notebooks"][0]["warnings"]
    )


def test_mask_small_numbers():
    from socdata.report import DEFAULT_RULE_SET, get_rule_set

    text = "3 of 190 (window: 9); 10 left; cohort 2020; rule service.R07; 0.5; x3"
    assert rp.mask_small_numbers(text, DEFAULT_RULE_SET) == (
        "[c] of 190 (window: [c]); 10 left; cohort 2020; rule service.R07; 0.5; x3"
    )
    assert rp.mask_small_numbers(text, get_rule_set("none")) == text


@pytest.mark.slow
def test_parallel_jobs_keep_nn_order(tmp_path, monkeypatch):
    ok = HEADER + "# %%\nprint('fine')\n"
    nbs = make_notebooks(tmp_path / "nb", **{"20_ok": ok, "10_bad": BAD})
    monkeypatch.setattr("socdata.pipeline.run.notebooks_dir", lambda: nbs)
    run = rp.reproduce(make_data(tmp_path / "data"), tmp_path / "out", progress=None, jobs=2)
    assert [(nb.name, nb.status) for nb in run.notebooks] == [
        ("10_bad.py", "failed"),
        ("20_ok.py", "ok"),
    ]
    assert "ZeroDivisionError" in run.failed[0].error
    with pytest.raises(rp.ReproduceError, match="jobs"):
        rp.reproduce(None, tmp_path / "o2", progress=None, jobs=0)


@pytest.mark.slow
def test_run_is_a_result_with_tidy(good_run):
    run, *_ = good_run
    tidy = run.tidy()
    assert list(tidy.columns[:9]) == list(TIDY_COLUMNS)
    assert tidy["term"].tolist() == ["10_good.py"] and tidy["status"].tolist() == ["ok"]
    assert run.provenance.function == "socdata.reproduce.reproduce"
    assert "socdata reproduce: OK" in repr(run)


def test_run_context_is_resolved_once_and_travels_as_a_mapping(tmp_path, monkeypatch):
    from socdata.pipeline import RunContext

    monkeypatch.setenv("SOCDATA_DISCLOSURE", "none")  # environment variables are not read
    ctx = RunContext.resolve(make_data(tmp_path / "d"), tmp_path / "o")
    assert not ctx.synthetic and ctx.rules.name == "soceis-default-v1"
    assert ctx.swimmer_plots is False and ctx.version
    again = RunContext.for_notebook(ctx.to_mapping(), disclosure="none", data_dir="ignored")
    assert again == ctx
    bundled = RunContext.resolve(None, tmp_path / "o")
    assert bundled.synthetic and bundled.rules.name == "none" and bundled.swimmer_plots
    with pytest.warns(DisclosureOffWarning):
        RunContext.resolve(make_data(tmp_path / "d2"), tmp_path / "o", disclosure="none")
    with pytest.raises(rp.ReproduceError, match="run context"):
        RunContext.from_mapping({"data_dir": "x"})
    with pytest.raises(rp.ReproduceError, match="swimmer_plots"):
        RunContext.resolve(None, tmp_path / "o", swimmer_plots="sometimes")


LEAKY = HEADER + textwrap.dedent(
    """\
    # %%
    import warnings

    import matplotlib

    leaked = 1
    warnings.simplefilter("ignore")
    matplotlib.rcParams["lines.linewidth"] = 9
    """
)

CLEAN = HEADER + textwrap.dedent(
    """\
    # %%
    import warnings

    import matplotlib

    assert "leaked" not in globals(), "namespace of the previous notebook leaked"
    assert matplotlib.rcParams["lines.linewidth"] != 9, "matplotlib settings leaked"
    with warnings.catch_warnings(record=True) as seen:
        warnings.warn("still shown", UserWarning)
    assert seen, "warnings filters leaked"
    """
)


@pytest.mark.slow
def test_a_warm_kernel_starts_each_notebook_fresh(tmp_path, monkeypatch):
    nbs = make_notebooks(tmp_path / "nb", **{"10_leaky": LEAKY, "20_clean": CLEAN, "30_bad": BAD})
    monkeypatch.setattr("socdata.pipeline.run.notebooks_dir", lambda: nbs)
    run = rp.reproduce(make_data(tmp_path / "data"), tmp_path / "out", progress=None)
    assert [nb.status for nb in run.notebooks] == ["ok", "ok", "failed"], run.summary()
    # the failing cell is named by its place among the notebook's own code cells
    assert run.notebooks[2].error.startswith("cell 3 (y = x / 0): ZeroDivisionError")
    executed = json.loads((tmp_path / "out" / "notebooks" / "20_clean.ipynb").read_text())
    counts = [c["execution_count"] for c in executed["cells"] if c["cell_type"] == "code"]
    assert counts == [1, 2, 3]  # numbered as in a fresh kernel
