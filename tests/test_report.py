"""portfolio-report: runs, HTML, index, parameters, refusals, failures and atomic publishing.

The notebooks are tiny synthetic ones written here; each papermill run costs about 2 s, so
the successful and the failing run are module fixtures shared by several tests.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import nbformat
import pytest

from portfolio_lib.report import cli, execute, params, publish

DAY = "2025-01-15"
# A 1x1 PNG, for a markdown image the HTML must embed.
PIXEL_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def _notebook(path: Path, title: str, parameters: str, *cells: str, extra=()) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        nbformat.v4.new_markdown_cell(title),
        nbformat.v4.new_code_cell("import matplotlib.pyplot as plt"),
        nbformat.v4.new_code_cell(parameters, metadata={"tags": ["parameters"]}),
        *(nbformat.v4.new_code_cell(source) for source in cells),
        *extra,
    ]
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """notebooks/ (two numbered notebooks, an app and a scratch one) and data/tx.csv."""
    root = tmp_path_factory.mktemp("report")
    notebooks = root / "notebooks"
    notebooks.mkdir()
    (notebooks / "logo.png").write_bytes(PIXEL_PNG)
    _notebook(
        notebooks / "01_alpha.ipynb",
        "# Alpha analysis\n\n![logo](logo.png)",
        'TRANSACTIONS = ""  # path\nLANG = "fr"\nA_CUT = 0.8',
        "import os\n"
        "rows = open(TRANSACTIONS).read().splitlines() if TRANSACTIONS else []\n"
        'print(f"ALPHA LANG={LANG} A_CUT={A_CUT} ROWS={len(rows)}")\n'
        'print(f"CWD={os.getcwd()}")\n'
        "fig, ax = plt.subplots(figsize=(3, 2))\n"
        "ax.plot([1, 2, 3])\n"
        "plt.show()",
        extra=[
            nbformat.v4.new_code_cell(
                'print("DEBUG-ONLY-OUTPUT")', metadata={"tags": ["remove-cell"]}
            )
        ],
    )
    _notebook(
        notebooks / "02_beta.ipynb",
        "Some words first.\n\n## Beta analysis",
        'LANG = "fr"\nTHRESHOLD = 1\nSLEEP = 0',
        'import time\ntime.sleep(SLEEP)\nprint(f"BETA LANG={LANG} THRESHOLD={THRESHOLD}")\n'
        "print(f\"BETA HAS_A_CUT={'A_CUT' in globals()}\")",
        # cell 5 of the notebook; the raise is its line 6
        'x = 1\ny = 2\n\nz = 3\nif THRESHOLD < 0:\n    raise ValueError(f"THRESHOLD must be >= 0, got {THRESHOLD}")',
    )
    for name in ("app.ipynb", "scratch.ipynb"):
        _notebook(notebooks / name, "# Not a report", 'LANG = "fr"', 'raise RuntimeError("ran")')
    data = root / "data"
    data.mkdir()
    (data / "tx.csv").write_text("customer_id,date,amount\nC1,2025-01-02,10\nC2,2025-01-03,5\n")
    return root


def _run(argv, cwd: Path):
    """main() in ``cwd``; returns (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with (
        pytest.MonkeyPatch.context() as mp,
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        mp.chdir(cwd)
        status = cli.main([str(arg) for arg in argv])
    return status, out.getvalue(), err.getvalue()


def _args(workspace: Path, output: Path, *more) -> list:
    return ["--notebooks-dir", workspace / "notebooks", "--output", output, *more]


def _hashes(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _outputs(nb_path: Path) -> str:
    nb = nbformat.read(nb_path, as_version=4)
    return "".join(
        output.get("text", "") for cell in nb.cells for output in cell.get("outputs", [])
    )


def _injected(nb_path: Path) -> str:
    nb = nbformat.read(nb_path, as_version=4)
    cells = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    return cells[0].source if cells else ""


@pytest.fixture(scope="module")
def success(workspace):
    """A full run: YAML file, --set and a flag; relative data path from the launch folder."""
    config = workspace / "params.yaml"
    # threshold: the file says 2, --set says 3; lang: the file says fr, --lang says en
    config.write_text("transactions: data/tx.csv\nLANG: fr\na_cut: 0.7\nthreshold: 2\n")
    output = workspace / "reports"
    status, out, err = _run(
        _args(workspace, output, "--config", config, "--set", "threshold=3", "--lang", "en")
        + ["--date", DAY],
        cwd=workspace,
    )
    return {"status": status, "out": out, "err": err, "root": output, "folder": output / DAY}


@pytest.fixture(scope="module")
def failure(workspace, success):
    """A failing run over the successful report of the same date."""
    before = _hashes(success["folder"])
    status, out, err = _run(
        _args(workspace, success["root"], "--notebooks", "02", "--set", "threshold=-1")
        + ["--date", DAY],
        cwd=workspace,
    )
    return {"status": status, "out": out, "err": err, "before": before, "root": success["root"]}


# --------------------------------------------------------------------------------------------
# Successful run
# --------------------------------------------------------------------------------------------
@pytest.mark.notebooks
def test_success_writes_every_file_and_reports_progress(success):
    assert success["status"] == 0, success["err"]
    lines = success["out"].splitlines()
    # two at a time: one line per notebook as it ends, in whatever order they end
    assert re.fullmatch(r"\[1/2\] 0[12]_(alpha|beta) ok \(\d+\.\d s\)", lines[0])
    assert re.fullmatch(r"\[2/2\] 0[12]_(alpha|beta) ok \(\d+\.\d s\)", lines[1])
    assert {line.split()[1] for line in lines[:2]} == {"01_alpha", "02_beta"}
    assert re.fullmatch(rf"portfolio-report-{DAY}\.pptx \(\d+\.\d s\)", lines[2])
    assert re.fullmatch(rf"portfolio-report-{DAY}\.pdf \(\d+\.\d s\)", lines[3])
    assert re.fullmatch(
        rf"Report written to reports/{DAY}/index.html \(2 notebooks, \d+\.\d s\)", lines[4]
    )
    # app.ipynb and scratch.ipynb are not numbered: never run by default
    assert sorted(p.name for p in success["folder"].iterdir()) == [
        "01_alpha.html",
        "01_alpha.ipynb",
        "02_beta.html",
        "02_beta.ipynb",
        "index.html",
        f"portfolio-report-{DAY}.pdf",
        f"portfolio-report-{DAY}.pptx",
        "run.json",
    ]
    leftovers = [p.name for p in success["root"].iterdir() if p.name.startswith(".")]
    assert leftovers == []


@pytest.mark.notebooks
def test_parameters_reach_notebooks_flags_win_and_only_declared_ones_are_passed(success, workspace):
    alpha = success["folder"] / "01_alpha.ipynb"
    beta = success["folder"] / "02_beta.ipynb"
    tx = workspace / "data" / "tx.csv"
    # tx.csv: header + 2 rows = 3 lines; --lang en beats "LANG: fr" of the file
    assert "ALPHA LANG=en A_CUT=0.7 ROWS=3" in _outputs(alpha)
    # the kernel runs in the report's folder (the temporary one, renamed when published),
    # so a file a notebook writes there is linked relatively and moves with the report
    cwd = re.search(r"CWD=(.*)", _outputs(alpha)).group(1)
    assert re.fullmatch(rf"\.tmp-{DAY}-\d+", Path(cwd).name)
    assert Path(cwd).parent == success["root"]
    assert f'TRANSACTIONS = "{tx}"' in _injected(alpha)  # relative path made absolute
    # --set threshold=3 beats "threshold: 2" of the file; beta declares no A_CUT
    assert "BETA LANG=en THRESHOLD=3" in _outputs(beta)
    assert "BETA HAS_A_CUT=False" in _outputs(beta)
    assert "A_CUT" not in _injected(beta) and "TRANSACTIONS" not in _injected(beta)


@pytest.mark.notebooks
def test_html_has_outputs_and_images_but_no_code(success):
    page = (success["folder"] / "01_alpha.html").read_text(encoding="utf-8")
    body = page[page.index("<body") :]
    assert "<title>Alpha analysis</title>" in page
    assert "ALPHA LANG=en A_CUT=0.7 ROWS=3" in body
    # the chart (output) and the markdown logo (embedded, not linked): works offline
    assert body.count("data:image/png;base64,") == 2
    assert 'src="logo.png"' not in body
    for code in ("plt.subplots", "open(TRANSACTIONS)", "A_CUT = 0.8", "import matplotlib"):
        assert code not in body
    assert 'class="highlight' not in body and "jp-InputPrompt" not in body
    assert "DEBUG-ONLY-OUTPUT" not in body  # cell tagged remove-cell
    beta = (success["folder"] / "02_beta.html").read_text(encoding="utf-8")
    assert "BETA LANG=en THRESHOLD=3" in beta and "time.sleep" not in beta


@pytest.mark.notebooks
def test_index_is_a_summary_with_links_and_a_small_appendix(success, workspace):
    page = (success["folder"] / "index.html").read_text(encoding="utf-8")
    # titles: first markdown heading, even below a paragraph (beta's "## Beta analysis")
    for stem, title in (("01_alpha", "Alpha analysis"), ("02_beta", "Beta analysis")):
        assert f'<li><a href="{stem}.html">{title}</a></li>' in page
    assert "<title>Customer portfolio analysis – 15 January 2025</title>" in page  # lang en
    assert f'href="portfolio-report-{DAY}.pdf">Full report (PDF)</a>' in page
    assert f'href="portfolio-report-{DAY}.pptx">Slides (PowerPoint)</a>' in page
    # the appendix: the file's name (not its path), the date, the language; no code names
    assert "<dt>Transactions</dt><dd>tx.csv</dd>" in page and str(workspace) not in page
    assert "<dt>Analysis date</dt><dd>date of the last transaction</dd>" in page
    assert "<dt>Language</dt><dd>English</dd>" in page
    assert "<dt>Class A cut</dt><dd>70%</dd>" in page  # given: shown as a share
    for technical in ("A_CUT", "SLEEP", "duration", "Executed notebook", "INTERACTIVE"):
        assert technical not in page
    # no overview figures nor findings in these notebooks: no empty section for them
    assert "Key figures" not in page and "Key findings" not in page


@pytest.mark.notebooks
def test_run_json_records_the_run(success, workspace):
    run = json.loads((success["folder"] / "run.json").read_text(encoding="utf-8"))
    tx = str(workspace / "data" / "tx.csv")
    assert run["status"] == "ok" and run["date"] == DAY and run["lang"] == "en"
    assert run["as_of"] == ""
    assert run["parameters"] == {"TRANSACTIONS": tx, "LANG": "en", "A_CUT": 0.7, "THRESHOLD": 3}
    assert run["effective_parameters"] == {
        "A_CUT": 0.7,
        "LANG": "en",
        "SLEEP": 0,
        "THRESHOLD": 3,
        "TRANSACTIONS": tx,
    }
    assert run["data"] == {"TRANSACTIONS": {"path": tx, "default": False}}
    assert run["config"] == str(workspace / "params.yaml")
    assert [(n["notebook"], n["title"], n["html"], n["parameters"]) for n in run["notebooks"]] == [
        ("01_alpha.ipynb", "Alpha analysis", "01_alpha.html", {"TRANSACTIONS": tx, "LANG": "en", "A_CUT": 0.7}),
        ("02_beta.ipynb", "Beta analysis", "02_beta.html", {"LANG": "en", "THRESHOLD": 3}),
    ]  # fmt: skip
    assert all(n["duration_s"] > 0 for n in run["notebooks"])


@pytest.mark.notebooks
def test_latest_points_to_the_report(success):
    latest = success["root"] / "latest"
    assert latest.is_symlink() and os.readlink(latest) == DAY
    assert (latest / "index.html").read_bytes() == (success["folder"] / "index.html").read_bytes()


# --------------------------------------------------------------------------------------------
# Failed run
# --------------------------------------------------------------------------------------------
@pytest.mark.notebooks
def test_failure_names_notebook_cell_and_error(failure):
    assert failure["status"] == 1
    assert re.fullmatch(r"\[1/1\] 02_beta FAILED \(\d+\.\d s\)\n", failure["out"])
    err = failure["err"].splitlines()
    # cell 5 counts the markdown cell, as JupyterLab does; papermill's injected cell is not
    assert err[0] == "FAILED: 02_beta.ipynb cell 5 (ValueError: THRESHOLD must be >= 0, got -1)"
    assert err[1:5] == [
        "       1 | x = 1",
        "       2 | y = 2",
        "       4 | z = 3",
        "         ...",
    ]
    assert err[5] == '  ->   6 |     raise ValueError(f"THRESHOLD must be >= 0, got {THRESHOLD}")'
    assert err[-1] == "No report was published; the previous one is unchanged."


@pytest.mark.notebooks
def test_failure_keeps_previous_report_identical_and_no_temp_folder(failure):
    root = failure["root"]
    assert _hashes(root / DAY) == failure["before"]
    assert os.readlink(root / "latest") == DAY
    assert [p.name for p in root.iterdir() if p.name.startswith(".")] == []


@pytest.mark.notebooks
def test_failure_keeps_the_failed_notebook_for_debugging(failure):
    kept = [p for p in failure["root"].iterdir() if p.name.startswith(f"failed-{DAY}-")]
    assert len(kept) == 1 and re.fullmatch(rf"failed-{DAY}-\d{{6}}", kept[0].name)
    assert f"The failed notebook is kept in reports/{kept[0].name}/" in failure["err"]
    nb = nbformat.read(kept[0] / "02_beta.ipynb", as_version=4)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert [(e.ename, e.evalue) for e in errors] == [
        ("ValueError", "THRESHOLD must be >= 0, got -1")
    ]
    assert (kept[0] / "error.txt").read_text().startswith("FAILED: 02_beta.ipynb cell 5")


@pytest.mark.notebooks
def test_cell_timeout_fails_the_run_and_names_the_cell(tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        nbformat.v4.new_code_cell("SLEEP = 0", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("import time\ntime.sleep(SLEEP)"),
    ]
    nbformat.write(nb, notebooks / "01_sleep.ipynb")
    output = tmp_path / "reports"
    status, out, err = _run(
        _args(tmp_path, output, "--set", "sleep=60", "--timeout", "2"), cwd=tmp_path
    )
    assert status == 1
    assert err.startswith(
        "FAILED: 01_sleep.ipynb cell 2 (Timeout: the cell ran longer than 2 s (see --timeout))\n"
        "       1 | import time\n"
        "       2 | time.sleep(SLEEP)\n"
    )
    assert [p.name.startswith("failed-") for p in output.iterdir()] == [True]
    # the kernel's own chatter went to a log kept with the notebook, not to the terminal
    assert "IPKernelApp" not in err + out
    kept = next(output.iterdir())
    assert sorted(p.name for p in kept.iterdir()) == [
        "01_sleep.ipynb",
        "01_sleep.kernel.log",
        "error.txt",
    ]


# --------------------------------------------------------------------------------------------
# Refusals before anything runs
# --------------------------------------------------------------------------------------------
@pytest.fixture
def no_kernel(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("a notebook ran")

    monkeypatch.setattr(cli, "execute_notebook", forbidden)


def test_unknown_parameter_is_refused_with_the_known_ones(workspace, tmp_path, no_kernel):
    status, out, err = _run(
        _args(workspace, tmp_path / "reports", "--set", "tresh=1"), cwd=workspace
    )
    assert status == 2 and out == ""
    assert err == (
        "portfolio-report: error: unknown parameter(s): tresh (from --set). The notebooks "
        "declare: A_CUT, LANG, SLEEP, THRESHOLD, TRANSACTIONS\n"
    )
    assert not (tmp_path / "reports").exists()


def test_missing_data_file_is_refused_before_running(workspace, tmp_path, no_kernel):
    status, _, err = _run(
        _args(workspace, tmp_path / "reports", "--transactions", "data/nope.csv"), cwd=workspace
    )
    assert status == 2
    assert (
        f"TRANSACTIONS (from command-line flags): file not found: {workspace}/data/nope.csv" in err
    )
    assert not (tmp_path / "reports").exists()


@pytest.mark.parametrize(
    ("flag", "message"),
    [
        (["--set", "threshold=0,5"], "THRESHOLD (from --set): expected a number like the default 1, got '0,5'"),
        (["--as-of", "2025-12-31"], "unknown parameter(s): as_of (from command-line flags)"),
        (["--set", "lang=de"], "LANG (from --set): language must be one of fr, en, got 'de'"),
        (["--set", "threshold"], "--set expects KEY=VALUE, got 'threshold'"),
        (["--date", "15/01/2025"], "--date: '15/01/2025' is not a date"),
        (["--notebooks", "07"], "notebook '07' not found"),
        (["--kernel", "nope"], "--kernel: no Jupyter kernel named 'nope'. Installed: "),
    ],
)  # fmt: skip
def test_bad_command_lines_are_refused(workspace, tmp_path, no_kernel, flag, message):
    status, _, err = _run(_args(workspace, tmp_path / "reports", *flag), cwd=workspace)
    assert status == 2 and message in err


def test_parameters_of_other_notebooks_are_accepted_but_not_passed(workspace, tmp_path, no_kernel):
    """One configuration file serves a run of a few notebooks."""
    config = tmp_path / "params.yaml"
    config.write_text("transactions: data/tx.csv\na_cut: 0.7\nthreshold: 2\n")
    status, out, _ = _run(
        _args(workspace, tmp_path, "--config", config, "--notebooks", "02", "--dry-run"),
        cwd=workspace,
    )
    assert status == 0
    assert out.splitlines()[1] == "[1/1] 02_beta: THRESHOLD=2"  # no TRANSACTIONS, A_CUT


def test_interrupt_leaves_previous_report(workspace, tmp_path, monkeypatch):
    output = tmp_path / "reports"
    (output / DAY).mkdir(parents=True)
    (output / DAY / "index.html").write_text("previous")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "execute_notebook", interrupted)
    status, _, err = _run(_args(workspace, output, "--date", DAY, "--jobs", "1"), cwd=workspace)
    assert status == 130 and "the previous one is unchanged" in err
    assert sorted(p.name for p in output.iterdir()) == [DAY]
    assert (output / DAY / "index.html").read_text() == "previous"


# --------------------------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------------------------
def test_find_notebooks_by_default_number_stem_and_path(workspace):
    folder = workspace / "notebooks"
    assert [p.name for p in params.find_notebooks(folder)] == ["01_alpha.ipynb", "02_beta.ipynb"]
    chosen = params.find_notebooks(folder, ["02", "01_alpha", "02_beta.ipynb", "app"])
    assert [p.name for p in chosen] == ["02_beta.ipynb", "01_alpha.ipynb", "app.ipynb"]
    with pytest.raises(params.ReportError, match="Available: 01_alpha, 02_beta"):
        params.find_notebooks(folder, ["03"])


def test_declared_parameters_read_the_cell_with_python_parser(tmp_path):
    """papermill.inspect_notebook drops lines with two '=' (comments included)."""

    def notebook(name, source, tags=("parameters",)):
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(source, metadata={"tags": list(tags)})]
        nbformat.write(nb, tmp_path / name)
        return tmp_path / name

    paths = [
        notebook(
            "a.ipynb",
            'AS_OF = ""  # "" = last transaction date\nA_CUT: float = 0.8\n'
            'PMG = (0.5,\n       0.8)  # small < q50 <= medium\nNAME = "a=b"\nimport os',
        ),
        notebook("b.ipynb", '%matplotlib inline\nLANG = "fr"'),  # not Python: papermill's way
        notebook("c.ipynb", 'LANG = "fr"', tags=()),  # no parameters cell
    ]
    assert params.declared_parameters(paths) == {
        "a.ipynb": {"AS_OF": "", "A_CUT": 0.8, "PMG": (0.5, 0.8), "NAME": "a=b"},
        "b.ipynb": {"LANG": "fr"},
        "c.ipynb": {},
    }


def test_resolve_parameters_names_dates_types_and_priority(tmp_path):
    (tmp_path / "tx.csv").write_text("x")
    declared = {
        "a.ipynb": {"TRANSACTIONS": "", "AS_OF": "", "A_CUT": 0.8, "REP": "", "Q": (0.5, 0.8)},
        "b.ipynb": {"LANG": "fr", "FLAG": False},
    }
    config = params.parse_assignments(["as-of=2025-12-31", "a_cut=0.7", "rep=12", "q=[0.4, 0.9]"])
    assert config["as-of"] == dt.date(2025, 12, 31)  # YAML reads dates
    resolved = params.resolve_parameters(
        [("file", {"Transactions": "tx.csv", "lang": "fr", "flag": True}), ("--set", config)],
        declared,
        cwd=tmp_path,
    )
    assert resolved == {
        "TRANSACTIONS": str(tmp_path / "tx.csv"),
        "LANG": "fr",
        "FLAG": True,
        "AS_OF": "2025-12-31",
        "A_CUT": 0.7,
        "REP": "12",  # text parameter: a number given in YAML becomes text
        "Q": [0.4, 0.9],
    }
    later_wins = params.resolve_parameters(
        [("file", {"lang": "fr"}), ("flags", {"lang": "en"})], declared, cwd=tmp_path
    )
    assert later_wins == {"LANG": "en"}
    with pytest.raises(params.ReportError, match="'lang' and 'LANG' name the same parameter"):
        params.resolve_parameters([("file", {"lang": "fr", "LANG": "en"})], declared)
    with pytest.raises(params.ReportError, match="FLAG \\(from f\\): expected true or false"):
        params.resolve_parameters([("f", {"flag": "yes please"})], declared)
    with pytest.raises(params.ReportError, match="'31/12/2025' is not a date; write it as YYYY"):
        params.resolve_parameters([("f", {"as_of": "31/12/2025"})], declared)


def test_read_config_refuses_non_mappings(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("- transactions\n- lang\n")
    with pytest.raises(params.ReportError, match="a YAML mapping"):
        params.read_config(path)
    path.write_text("")
    assert params.read_config(path) == {}
    with pytest.raises(params.ReportError, match="configuration file not found"):
        params.read_config(tmp_path / "missing.yaml")


def test_publish_replaces_and_restores_on_error(tmp_path, monkeypatch):
    target, new = tmp_path / DAY, tmp_path / ".tmp-new"
    target.mkdir()
    (target / "index.html").write_text("old")
    new.mkdir()
    (new / "index.html").write_text("new")
    publish.replace_folder(new, target)
    assert (target / "index.html").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == [DAY]  # backup removed

    newer = tmp_path / ".tmp-newer"
    newer.mkdir()
    real_rename = os.rename

    def rename(src, dst):
        if Path(src) == newer:
            raise OSError("disk full")
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(OSError, match="disk full"):
        publish.replace_folder(newer, target)
    assert (target / "index.html").read_text() == "new"  # put back


def _fake_report(root: Path, day: str) -> None:
    folder = root / day
    folder.mkdir(parents=True)
    run = {
        "date": day,
        "lang": "fr",
        "finished": f"{day}T06:00:00",
        "duration_s": 12.0,
        "notebooks": [
            {"notebook": "01_alpha.ipynb", "title": "Alpha", "html": "01_alpha.html",
             "executed": "01_alpha.ipynb", "duration_s": 4.25}
        ],
    }  # fmt: skip
    (folder / "run.json").write_text(json.dumps(run))
    publish.write_index(run, folder / "index.html")


def test_latest_is_the_newest_date_and_falls_back_to_a_copy(tmp_path, monkeypatch):
    _fake_report(tmp_path, "2025-02-01")
    _fake_report(tmp_path, "2025-01-01")  # written last, but older
    (tmp_path / "2025-03-01").mkdir()  # no run.json: not a good report
    assert publish.update_latest(tmp_path) == tmp_path / "2025-02-01"
    assert os.readlink(tmp_path / "latest") == "2025-02-01"

    def no_symlinks(*args, **kwargs):
        raise OSError("symbolic links are not allowed here")

    monkeypatch.setattr(os, "symlink", no_symlinks)
    publish.update_latest(tmp_path)
    latest = tmp_path / "latest"
    assert latest.is_dir() and not latest.is_symlink()
    page = (latest / "index.html").read_text(encoding="utf-8")
    # French dates dd/mm/yyyy; links into the dated folder
    assert '<li><a href="../2025-02-01/01_alpha.html">Alpha</a></li>' in page
    assert "<dt>Date du rapport</dt><dd>01/02/2025</dd>" in page
    assert json.loads((latest / "run.json").read_text())["date"] == "2025-02-01"


def test_stale_folders_of_killed_runs_are_cleaned(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / f".tmp-2025-01-01-{dead.pid}").mkdir()
    (tmp_path / f".old-2025-01-02-{dead.pid}").mkdir()  # moved aside, never replaced
    (tmp_path / f".tmp-2025-01-03-{os.getpid()}").mkdir()  # a live run: left alone
    publish.remove_stale_folders(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f".tmp-2025-01-03-{os.getpid()}",
        "2025-01-02",
    ]


def test_failure_description_without_traceback_line():
    failure = execute.NotebookFailure(
        "03_x.ipynb", cell=2, ename="KeyError", evalue="'revenue'\nmore", source="\na\nb\nc\nd"
    )
    assert failure.describe() == (
        "FAILED: 03_x.ipynb cell 2 (KeyError: 'revenue')\n  more\n"
        "       2 | a\n       3 | b\n       4 | c"
    )


def test_failure_description_keeps_what_to_do_of_a_data_error():
    # Issue 19: the one-line headline cut the data error's remedy off the report's output.
    message = (
        "ventes.csv: 1 value(s) of column 'date' are not dates: row 7 (for example '31/02/2024')."
        "\nWhat to do: Write dates like 31/12/2025 or 2025-12-31."
    )
    failure = execute.NotebookFailure(
        "00_overview.ipynb", cell=3, ename="PortfolioDataError", evalue=message, source="load()"
    )
    described = failure.describe().splitlines()
    assert described[0] == (
        "FAILED: 00_overview.ipynb cell 3 (PortfolioDataError: ventes.csv: 1 value(s) of column "
        "'date' are not dates: row 7 (for example '31/02/2024').)"
    )
    assert described[1] == "  What to do: Write dates like 31/12/2025 or 2025-12-31."


def test_report_parameters_turn_widgets_off_and_put_excel_next_to_the_page(tmp_path):
    declared = {"LANG": "fr", "INTERACTIVE": True, "EXCEL_OUTPUT": ""}
    given = params.report_parameters(
        declared, {"LANG": "en", "A_CUT": 0.7}, folder=tmp_path, stem="05_rfm"
    )
    assert given == {
        "LANG": "en",
        "INTERACTIVE": False,
        "EXCEL_OUTPUT": str(tmp_path / "05_rfm.xlsx"),
    }
    chosen = params.report_parameters(
        declared, {"INTERACTIVE": True}, folder=tmp_path, stem="05_rfm"
    )
    assert chosen == {"INTERACTIVE": True, "EXCEL_OUTPUT": str(tmp_path / "05_rfm.xlsx")}
    # the report names the hand-outs: inside its folder, one per notebook (issue 19)
    with pytest.raises(params.ReportError, match="EXCEL_OUTPUT"):
        params.report_parameters(
            declared, {"EXCEL_OUTPUT": "/x/out.xlsx"}, folder=tmp_path, stem="05_rfm"
        )
    assert params.report_parameters({"LANG": "fr"}, {}, folder=tmp_path, stem="01_weight") == {}


def test_index_links_the_excel_hand_outs(tmp_path):
    run = {
        "lang": "en",
        "date": "2025-06-02",
        "notebooks": [
            {"notebook": "05_rfm.ipynb", "title": "RFM", "html": "05_rfm.html",
             "executed": "05_rfm.ipynb", "excel": "05_rfm.xlsx", "duration_s": 3.0},
            {"notebook": "01_weight.ipynb", "title": "Weight", "html": "01_weight.html",
             "executed": "01_weight.ipynb", "excel": None, "duration_s": 2.0},
        ],
    }  # fmt: skip
    page = publish.write_index(run, tmp_path / "index.html").read_text(encoding="utf-8")
    assert page.count('href="05_rfm.xlsx"') == 1 and ".xlsx" not in page.split("Weight")[1]
    assert '<a href="05_rfm.xlsx">Excel (05_rfm.xlsx)</a>' in page


def test_html_leaves_out_the_key_figure_records_without_warnings(tmp_path):
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    from portfolio_lib.config import RECORD_MIME
    from portfolio_lib.ui.present import read_records

    cell = new_code_cell("record(...)")
    cell.outputs = [
        new_output("stream", name="stdout", text="VISIBLE-OUTPUT\n"),
        new_output("display_data", data={RECORD_MIME: {"total_revenue": 123456.5}}),
    ]
    executed = tmp_path / "01_figures.ipynb"
    nbformat.write(new_notebook(cells=[new_markdown_cell("# Figures"), cell]), executed)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nbconvert warns on outputs it cannot show
        title = publish.export_html(executed, tmp_path / "01_figures.html")
    page = (tmp_path / "01_figures.html").read_text(encoding="utf-8")
    assert title == "Figures" and "VISIBLE-OUTPUT" in page
    assert "123456.5" not in page and "total_revenue" not in page
    # The executed notebook keeps them for scripts and tests.
    assert read_records(nbformat.read(executed, as_version=4)) == {"total_revenue": 123456.5}


@pytest.mark.notebooks
def test_report_kernels_draw_each_chart_once_less_than_a_plain_kernel(tmp_path):
    """pyplot's REPL hook draws every new figure after its cell, then the inline backend
    draws it again for the PNG; a report kernel skips the first, thrown-away drawing."""
    import papermill

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        nbformat.v4.new_code_cell(
            "import matplotlib.pyplot as plt\n"
            "draws = []\n"
            "fig, ax = plt.subplots()\n"
            "ax.plot([1, 3, 2])\n"
            "fig.canvas.mpl_connect('draw_event', lambda event: draws.append(1))"
        ),
        nbformat.v4.new_code_cell("print(len(draws))"),
    ]
    source = tmp_path / "draws.ipynb"
    nbformat.write(nb, source)

    def draws(path: Path) -> int:
        cells = nbformat.read(str(path), as_version=4).cells
        return int(cells[-1].outputs[0]["text"])

    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    with contextlib.ExitStack() as stack:
        stack.callback(os.environ.update, dict(os.environ))
        os.environ.clear()
        os.environ.update(env)  # a plain kernel with the inline backend, as in JupyterLab
        papermill.execute_notebook(str(source), str(tmp_path / "plain.ipynb"), progress_bar=False)
    execute.execute_notebook(source, tmp_path / "report.ipynb", {}, cwd=tmp_path)
    plain, report = draws(tmp_path / "plain.ipynb"), draws(tmp_path / "report.ipynb")
    assert report == plain - 1 and report >= 1  # the PNG is still drawn
    images = [
        output
        for cell in nbformat.read(str(tmp_path / "report.ipynb"), as_version=4).cells
        for output in cell.get("outputs", [])
        if "image/png" in output.get("data", {})
    ]
    assert len(images) == 1  # the chart is in the notebook
    cells = nbformat.read(str(tmp_path / "report.ipynb"), as_version=4).cells
    assert len(cells) == 2  # and the setup cell is not


@pytest.mark.notebooks
def test_a_chart_failing_when_drawn_names_its_own_cell(tmp_path):
    """Issue 19: the chart of cell 3 raised when drawn after its cell; papermill named the last
    cell (the failed drawing is retried after every later cell)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Title"),
        nbformat.v4.new_code_cell("import matplotlib.pyplot as plt\nx = 1"),
        nbformat.v4.new_code_cell("fig, ax = plt.subplots()\nax.set_title(r'$\\frac{$')"),
        nbformat.v4.new_code_cell("y = 2"),
        nbformat.v4.new_code_cell("z = 3"),
    ]
    source = tmp_path / "chart.ipynb"
    nbformat.write(nb, source)
    with pytest.raises(execute.NotebookFailure) as caught:
        execute.execute_notebook(source, tmp_path / "out.ipynb", {}, cwd=tmp_path)
    assert caught.value.cell == 3  # the markdown cell counts, as in JupyterLab
    assert caught.value.headline() == "FAILED: chart.ipynb cell 3 (ValueError: \\frac{)"
    assert "ax.set_title" in caught.value.describe()
