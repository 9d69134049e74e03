"""The report a consultant hands out: one language, executive summary, PDF, slides, load once,
self-contained folder (issue 15, points 2-7).

Fast tests use the real notebooks' markdown (not executed) and small hand-made pages; the
``notebooks`` test runs the whole report on the sample, moves it and checks every link.
"""

from __future__ import annotations

import html
import io
import json
import re
import shutil
import warnings
from pathlib import Path
from urllib.parse import unquote, urlparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import nbformat
import pandas as pd
import pytest

from portfolio_lib.config import NOTEBOOKS_DIR, PROJECT_ROOT
from portfolio_lib.engine import shared
from portfolio_lib.engine.prepare import prepare
from portfolio_lib.report import cli, documents, pages, summary
from portfolio_lib.report.params import declared_parameters, find_notebooks

NOTEBOOKS = find_notebooks(NOTEBOOKS_DIR)
DECLARED = declared_parameters(NOTEBOOKS)
CHROMIUM = documents.find_chromium()
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium to print with")


# --------------------------------------------------------------------------------------------
# One language per page, values instead of parameter names (point 3)
# --------------------------------------------------------------------------------------------
def _tags(cell) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_guide_is_a_french_then_english_pair_and_app_sections_are_notebook_only(path):
    nb = nbformat.read(path, as_version=4)
    markdown = [c for c in nb.cells if c.cell_type == "markdown"]
    kinds = []
    for cell in markdown:
        tags = _tags(cell) & {"lang-fr", "lang-en", pages.NOTEBOOK_ONLY_TAG}
        assert len(tags) == 1, f"{path.name}: untagged or doubly tagged cell {cell.source[:60]!r}"
        kinds.append(tags.pop())
        assert "**FR**" not in cell.source or pages.NOTEBOOK_ONLY_TAG in _tags(cell)
    for index, kind in enumerate(kinds):
        if kind == "lang-fr":  # its English twin follows, with the same heading level
            assert kinds[index + 1] == "lang-en"
            fr, en = markdown[index].source, markdown[index + 1].source
            assert re.match(r"#*", fr).group(0) == re.match(r"#*", en).group(0)
    headings = [c.source.splitlines()[0] for c, k in zip(markdown, kinds, strict=True)
                if k == pages.NOTEBOOK_ONLY_TAG and c.source.startswith("#")]  # fmt: skip
    assert headings == ["## Chargement / Load", "## Calcul / Compute", "## Explorer / Explore"]


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_a_report_page_has_one_language_and_no_parameter_name(path, lang):
    nb = nbformat.read(path, as_version=4)
    page = pages.report_notebook(nb, lang, DECLARED[path.name])
    text = "\n".join(c.source for c in page.cells if c.cell_type == "markdown")
    other = "lang-en" if lang == "fr" else "lang-fr"
    assert not any(other in _tags(c) or "notebook-only" in _tags(c) for c in page.cells)
    names = {name for names in DECLARED.values() for name in names}
    assert not [name for name in names if re.search(rf"\b{name}\b", text)], text
    for word in ("Chargement", "Calcul / Compute", "Explorer", "**FR**", "**EN**", " / Load"):
        assert word not in text
    assert "Résultats" in text if lang == "fr" else "Results" in text


def test_parameter_values_are_written_as_a_reader_reads_them():
    nb = nbformat.read(NOTEBOOKS_DIR / "00_overview.ipynb", as_version=4)
    values = {**DECLARED["00_overview.ipynb"], "DEPENDENCE_ALERT": 0.2, "ACTIVITY_WINDOW": 6}
    fr = "\n".join(c.source for c in pages.report_notebook(nb, "fr", values).cells)
    en = "\n".join(c.source for c in pages.report_notebook(nb, "en", values).cells)
    assert "le portefeuille sur les 6\nderniers mois" in fr
    assert "un client au-delà\nde 20\u00a0% du chiffre d'affaires" in fr
    assert "over the last\n6 months" in en and "above\n20% of revenue" in en
    assert pages.parameter_text("GAP_ALERT", 2.0, "fr") == "2"
    assert pages.parameter_text("DISCOUNT_RATE", 0.125, "fr") == "12,5\u00a0%"
    assert pages.parameter_text("PENETRATION_CUTS", [0.25, 0.6], "en") == "25%, 60%"
    assert pages.parameter_text("ACQUISITION_BUDGET", 1500.5, "fr") == "1\u00a0500,50"


# --------------------------------------------------------------------------------------------
# Executive summary (point 2)
# --------------------------------------------------------------------------------------------
def _finding(study, key, text, importance):
    return {"study": study, "key": key, "text": text, "importance": importance, "figures": {}}


RUN = {
    "lang": "fr",
    "date": "2026-01-05",
    "finished": "2026-01-05T06:00:00",
    "as_of": "",
    "data": {"TRANSACTIONS": {"path": "/srv/client/ventes.csv", "default": False}},
    "parameters": {"TRANSACTIONS": "/srv/client/ventes.csv", "DEPENDENCE_ALERT": 0.2},
    "effective_parameters": {
        "TRANSACTIONS": "/srv/client/ventes.csv",
        "DEPENDENCE_ALERT": 0.2,
        "ACTIVITY_WINDOW": 12,
        "INTERACTIVE": False,
        "HOLDOUT_MONTHS": 6,
        "PERIOD": "quarter",
    },
    "summary": {
        "as_of": "2025-12-31",
        "tiles": [
            {
                "key": "revenue",
                "value": 70653229.59,
                "kind": "currency",
                "change": 0.3236,
                "higher_is_better": True,
            },
            {
                "key": "churn_rate",
                "value": 0.2962,
                "kind": "percent",
                "change": None,
                "higher_is_better": False,
            },
        ],
    },  # fmt: skip
    "notebooks": [
        {
            "title": "Vue d'ensemble",
            "html": "00_overview.html",
            "excel": None,
            "findings": [
                _finding("overview", "a", "Un client, <b>SARL Masson</b>, pèse 18,2 % du CA.", 0.9),
                _finding("overview", "b", "Le CA progresse de 32,4 %.", 0.5),
            ],
        },
        {
            "title": "Segmentation RFM",
            "html": "05_rfm.html",
            "excel": "05_rfm.xlsx",
            "findings": [_finding("rfm", f"r{n}", f"Constat RFM {n}.", n / 10) for n in range(9)],
        },
    ],  # fmt: skip
    "pdf": "rapport.pdf",
    "slides": None,
    "version": "0.1.0",
}


def test_top_findings_are_the_most_important_across_pages_with_their_page():
    top = summary.top_findings(RUN["notebooks"])
    assert len(top) == summary.MAX_FINDINGS == 8
    assert [f["key"] for f in top] == ["a", "r8", "r7", "r6", "b", "r5", "r4", "r3"]
    assert top[0]["html"] == "00_overview.html" and top[1]["page"] == "Segmentation RFM"
    # equal importance (b, r5): the pages' order, overview first


def test_a_fact_two_pages_state_is_said_once_where_it_matters_most():
    # The overview and the balance page both state the dependence on one customer (same key):
    # the summary keeps the more important sentence, and the next finding takes the freed place.
    pages = [
        {"title": "Vue d'ensemble", "html": "00_overview.html",
         "findings": [_finding("overview", "dependence", "Votre premier client pèse 18 %.", 0.8),
                      _finding("overview", "growth", "Le CA progresse.", 0.5)]},
        {"title": "Équilibre", "html": "04_balance.html",
         "findings": [_finding("balance", "dependence", "SARL Masson pèse 18 %.", 0.9),
                      _finding("balance", "vivier", "Vivier : 1 184 comptes.", 0.6)]},
    ]  # fmt: skip
    top = summary.top_findings(pages, limit=3)
    assert [(f["key"], f["html"]) for f in top] == [
        ("dependence", "04_balance.html"),
        ("vivier", "04_balance.html"),
        ("growth", "00_overview.html"),
    ]


def test_index_is_an_executive_summary_in_one_language(tmp_path):
    raw = summary.write_index(RUN, tmp_path / "index.html").read_text(encoding="utf-8")
    page = raw.replace("&#x27;", "'")  # apostrophes are escaped like any text
    assert "<p class=subtitle>Date d'analyse\u00a0: 31/12/2025</p>" in page
    # tiles from the overview's figures, formatted the French way, change coloured
    assert "<div class=label>Chiffre d'affaires</div><div class=value>71\u00a0M€</div>" in page
    assert '<div class="good">▲ 32,4\u00a0%</div>' in page
    assert "<div class=value>29,6\u00a0%</div>" in page
    # findings: most important first, escaped (data is text), each linking to its page
    first = page.index("SARL Masson")
    assert first < page.index("Constat RFM 8.") < page.index("Le CA progresse")
    assert "Un client, &lt;b&gt;SARL Masson&lt;/b&gt;, pèse 18,2 % du CA." in raw
    assert '<a href="05_rfm.html">→&nbsp;Segmentation RFM</a>' in page
    assert "Constat RFM 2." not in page  # 8 findings at most
    assert '<a href="05_rfm.xlsx">Excel (05_rfm.xlsx)</a>' in page
    assert '<a href="rapport.pdf">Rapport complet (PDF)</a>' in page and ".pptx" not in page
    # appendix: file name only, parameters by meaning, given values without "(défaut)"
    assert "<dd>ventes.csv</dd>" in page and "/srv/client" not in page
    assert "<dt>Seuil de dépendance</dt><dd>20\u00a0%</dd>" in page
    assert "<dt>Fenêtre d'activité (mois)</dt><dd>12</dd>" in page
    assert "<dt>Autres paramètres</dt><dd>valeurs par défaut</dd>" in page
    for technical in ("DEPENDENCE_ALERT", "INTERACTIVE", "HOLDOUT", "durée", "Durée", "quarter"):
        assert technical not in page


def test_index_without_findings_shows_tiles_and_links_only(tmp_path):
    run = {**RUN, "notebooks": [{**n, "findings": []} for n in RUN["notebooks"]]}
    page = summary.write_index(run, tmp_path / "index.html").read_text(encoding="utf-8")
    assert "Chiffres clés" in page and '<a href="05_rfm.html">Segmentation RFM</a>' in page
    assert "À retenir" not in page and "<ol" not in page


def test_summary_tiles_come_from_the_overview_records():
    records = {
        "01_weight": {"total": 1},
        "00_overview": {
            "as_of": "2025-12-30T00:00:00",
            "kpis": {"revenue": 1000.0, "revenue_growth": -0.1, "active_customers": 40,
                     "revenue_per_customer": 25.0, "margin_rate": 0.2, "new_customers": 5,
                     "lost_customers": 3, "churn_rate": 0.07, "penetration": None},
            "shares": {"top_10_share": 0.5, "hhi": 900.0},
        },
    }  # fmt: skip
    facts = summary.summary_facts(records)
    assert facts["as_of"] == "2025-12-30"
    tiles = {tile["key"]: tile for tile in facts["tiles"]}
    assert list(tiles) == [
        "revenue", "active_customers", "revenue_per_customer", "margin_rate", "new_customers",
        "lost_customers", "churn_rate", "top_10_share", "hhi",
    ]  # fmt: skip
    assert tiles["revenue"] == {"key": "revenue", "value": 1000.0, "kind": "currency",
                                "change": -0.1, "higher_is_better": True}  # fmt: skip
    assert tiles["hhi"]["value"] == 900.0 and tiles["hhi"]["higher_is_better"] is False
    assert summary.summary_facts({"01_weight": {"total": 1}}) == {"tiles": [], "as_of": ""}


# --------------------------------------------------------------------------------------------
# PDF and slides (points 4 and 5)
# --------------------------------------------------------------------------------------------
def _png(color: str, width: float = 4.0) -> bytes:
    fig, ax = plt.subplots(figsize=(width, 2.5), dpi=100)
    ax.bar(["a", "b"], [1, 2], color=color)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def _page(title: str, png: bytes, columns: int) -> str:
    import base64

    head = "".join(f"<th>Colonne numéro {n}</th>" for n in range(columns))
    row = "".join(f"<td>{n * 1234567:,} €</td>" for n in range(columns))
    image = base64.b64encode(png).decode()
    return (
        "<!DOCTYPE html><html><head><meta charset=utf-8></head><body class=jp-Notebook><main>"
        f"<h1>{html.escape(title)}</h1><img src='data:image/png;base64,{image}'>"
        f"<div class=jp-RenderedHTMLCommon><table><tr>{head}</tr>{row * 1}</table></div>"
        "</main></body></html>"
    )


@pytest.fixture
def small_report(tmp_path):
    run = json.loads(json.dumps(RUN))
    folder = tmp_path / "2026-01-05"
    folder.mkdir()
    for item, color in zip(run["notebooks"], ("tab:blue", "tab:red"), strict=True):
        text = _page(item["title"] + " – page", _png(color), columns=14)
        (folder / item["html"]).write_text(text, encoding="utf-8")
    return folder, run


@needs_chromium
def test_pdf_is_paged_with_text_and_images(small_report):
    from pypdf import PdfReader

    folder, run = small_report
    path = documents.write_pdf(folder, run, folder / "rapport.pdf")
    reader = PdfReader(str(path))
    text = [page.extract_text().replace("\n", " ") for page in reader.pages]
    assert text[0].startswith("Analyse du portefeuille client") and "SARL Masson" in text[0]
    # the summary, then each page starting a sheet of its own: the last two here
    assert text[-2].startswith("Vue d'ensemble – page")
    assert text[-1].startswith("Segmentation RFM – page")
    assert len(reader.pages) <= 4
    assert "numéro 13" in text[-2]  # the last column of the wide table is printed
    assert "16,049,371 €" in text[-2]  # scaled to the sheet, not cut
    assert [len(page.images) for page in reader.pages[-2:]] == [1, 1]


def test_without_chromium_the_report_keeps_its_html_and_says_so_in_one_line(
    small_report, monkeypatch
):
    folder, run = small_report
    monkeypatch.setenv(documents.CHROMIUM_ENV, str(folder / "no-such-chromium"))
    run["slides"] = "slides.pptx"
    out = io.StringIO()
    cli._documents(folder, run, {}, out)
    lines = out.getvalue().splitlines()
    assert lines[1] == (
        "PDF not written: Chromium not found (install it: sudo apt install chromium, or set "
        "PORTFOLIO_CHROMIUM); the HTML report is complete."
    )
    assert run["pdf"] is None and not (folder / "rapport.pdf").exists()
    assert run["slides"] == "slides.pptx" and (folder / "slides.pptx").is_file()


def test_slides_have_one_chart_per_heading_titled_by_the_findings(tmp_path):
    from pptx import Presentation
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    charts = {
        "00_overview.html": [
            pages.Chart("Chiffres clés", _png("tab:blue")),
            pages.Chart("Chiffres clés", _png("tab:green")),  # same heading: not a key chart
            pages.Chart("Concentration", _png("tab:red")),
            pages.Chart("Clients à risque", _png("tab:orange")),
        ],
        "05_rfm.html": [pages.Chart("Grille R × F", _png("tab:purple", width=6))],
    }
    path = documents.write_slides(RUN, charts, tmp_path / "deck.pptx")
    deck = Presentation(str(path))
    slides = list(deck.slides)
    titles = [slide.shapes.title.text for slide in slides]
    assert titles[:2] == ["Analyse du portefeuille client", "À retenir"]
    assert titles[2:] == [
        "Un client, <b>SARL Masson</b>, pèse 18,2 % du CA.",  # the page's top finding
        "Le CA progresse de 32,4 %.",
        "Clients à risque",  # no finding left: the chart's heading
        "Constat RFM 8.",
    ]
    bullets = [p.text for p in slides[1].placeholders[1].text_frame.paragraphs]
    assert bullets == [f["text"] for f in summary.top_findings(RUN["notebooks"])]
    pictures = [
        [shape for shape in slide.shapes if shape.shape_type == MSO_SHAPE_TYPE.PICTURE]
        for slide in slides
    ]
    assert [len(p) for p in pictures] == [0, 0, 1, 1, 1, 1]
    for picture in (p[0] for p in pictures[2:]):  # inside the slide, below the title
        assert picture.left >= 0 and picture.left + picture.width <= deck.slide_width
        assert picture.top >= 1_600_000 and picture.top + picture.height <= deck.slide_height


# --------------------------------------------------------------------------------------------
# Load once (point 6)
# --------------------------------------------------------------------------------------------
SAMPLE = PROJECT_ROOT / "data" / "sample"


def test_prepare_loads_once_per_content_and_date_when_a_report_shares_it(tmp_path, monkeypatch):
    from portfolio_lib.engine import prepare as prepare_module

    calls = []
    real = prepare_module.load_portfolio

    def counted(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(prepare_module, "load_portfolio", counted)
    alone = prepare(SAMPLE / "transactions.csv", SAMPLE / "customers.csv", "")
    assert len(calls) == 1
    monkeypatch.setenv(shared.SHARED_CACHE_ENV, str(tmp_path / "shared"))
    first = prepare(SAMPLE / "transactions.csv", SAMPLE / "customers.csv", "")
    # a copy of the same file is the same content: read from the shared folder
    copy = tmp_path / "copy.csv"
    shutil.copy(SAMPLE / "transactions.csv", copy)
    second = prepare(copy, SAMPLE / "customers.csv", "", segment="PME")
    assert len(calls) == 2  # one more load for both
    pd.testing.assert_frame_equal(first.full.customers, alone.full.customers)
    pd.testing.assert_frame_equal(second.full.monthly, alone.full.monthly)
    assert set(second.agg.customers["segment"].astype(str)) == {"PME"}  # filters still apply
    prepare(copy, SAMPLE / "customers.csv", "", as_of="2025-06-30")  # another date: new load
    assert len(calls) == 3
    assert len(list((tmp_path / "shared").glob("*.pickle"))) == 2
    # the log is kept apart, read back whole only by a page that asks for it
    assert first.data.transactions is None and second.data.transactions is None
    assert len(list((tmp_path / "shared").glob("*.frame"))) == 2
    pd.testing.assert_frame_equal(second.transactions, alone.data.transactions)
    assert second.transactions.attrs == alone.data.transactions.attrs
    assert alone.transactions is alone.data.transactions  # outside a report: the loaded log


def test_shared_load_raises_the_load_warnings_again_for_every_reader(tmp_path, monkeypatch):
    from portfolio_lib.data.errors import DataQualityWarning

    lines = (SAMPLE / "transactions.csv").read_text(encoding="utf-8").splitlines()
    doubled = tmp_path / "doubled.csv"
    doubled.write_text("\n".join([*lines[:50], lines[1]]) + "\n", encoding="utf-8")
    monkeypatch.setenv(shared.SHARED_CACHE_ENV, str(tmp_path / "shared"))
    seen = []
    for _ in range(2):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            prepare(doubled, "", "")
        seen.append([str(w.message) for w in caught if w.category is DataQualityWarning])
    assert seen[0] and seen[1] == seen[0]  # the duplicate row is noted on both pages
    assert "1" in seen[0][0]


# --------------------------------------------------------------------------------------------
# The whole report on the sample: one language, moved folder, every link (points 2-7)
# --------------------------------------------------------------------------------------------
_LINK = re.compile(r"""\b(?:href|src)\s*=\s*["']([^"']+)["']""", re.I)


@pytest.fixture(scope="module")
def sample_report(tmp_path_factory):
    root = tmp_path_factory.mktemp("sample-report")
    status = cli.main(["--output", str(root / "reports"), "--date", "2026-01-05", "--lang", "en"])
    assert status == 0
    moved = root / "elsewhere" / "client-report"
    moved.parent.mkdir()
    shutil.move(str(root / "reports" / "2026-01-05"), moved)
    shutil.rmtree(root / "reports")  # nothing left to point at
    return moved


@pytest.mark.notebooks
def test_moved_report_is_self_contained_every_link_resolves(sample_report):
    names = sorted(p.name for p in sample_report.iterdir())
    assert [n for n in names if n.endswith(".html")] == [
        *(f"{path.stem}.html" for path in NOTEBOOKS),
        "index.html",
    ]
    assert {"05_rfm.xlsx", "07_alerts.xlsx", "portfolio-report-2026-01-05.pdf",
            "portfolio-report-2026-01-05.pptx", "run.json"} <= set(names)  # fmt: skip
    assert not [n for n in names if n.startswith(".")]  # no cache, logs or temp folder
    checked = 0
    for page in sample_report.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        for link in _LINK.findall(text):
            parsed = urlparse(link)
            if parsed.scheme == "data" or link.startswith("#"):
                continue
            assert not parsed.scheme and not link.startswith("/"), f"{page.name}: {link}"
            assert (sample_report / unquote(parsed.path)).is_file(), f"{page.name}: {link}"
            checked += 1
    assert checked >= 8 + 2 + 2  # pages, Excel hand-outs, PDF and slides from the index
    for stem in ("05_rfm", "07_alerts"):  # the pages link their hand-out by name
        page = (sample_report / f"{stem}.html").read_text()
        assert re.search(rf"""href=["']{stem}\.xlsx["']""", page), stem


@pytest.mark.notebooks
def test_sample_report_is_in_english_only_and_names_no_parameter(sample_report):
    names = {name for params in DECLARED.values() for name in params}
    for page in sample_report.glob("*.html"):
        text = re.sub(r"<style.*?</style>|<script.*?</script>", "", page.read_text(), flags=re.S)
        visible = html.unescape(re.sub(r"<[^>]+>", " ", text))
        for word in ("Chargement", "Calcul", "Résultats", "Explorer", "Chiffre d'affaires"):
            assert word not in visible, f"{page.name}: {word}"
        assert not [n for n in names if re.search(rf"\b{n}\b", visible)], page.name
    index = (sample_report / "index.html").read_text()
    assert "Key figures" in index and "<div class=label>Revenue</div>" in index
    run = json.loads((sample_report / "run.json").read_text())
    assert run["effective_parameters"]["INTERACTIVE"] is False  # as the notebooks ran
    assert all(n["duration_s"] > 0 for n in run["notebooks"])  # durations: run.json only


@pytest.mark.notebooks
@needs_chromium
def test_sample_pdf_and_slides_hold_the_whole_report(sample_report):
    from pptx import Presentation
    from pptx.enum.shapes import MSO_SHAPE_TYPE
    from pypdf import PdfReader

    reader = PdfReader(str(sample_report / "portfolio-report-2026-01-05.pdf"))
    assert len(reader.pages) >= 9  # the summary, then each of the 8 pages on new sheets
    text = "\n".join(page.extract_text() for page in reader.pages)
    for title in ("Customer portfolio analysis", "Portfolio weight", "RFM segmentation",
                  "Risk alerts per sales rep"):  # fmt: skip
        assert title in text
    images = sum(len(page.images) for page in reader.pages)
    assert images >= 25
    # charts drawn at twice the screen resolution: sharp on paper
    first = next(image for page in reader.pages for image in page.images)
    assert first.image.width >= 1200
    deck = Presentation(str(sample_report / "portfolio-report-2026-01-05.pptx"))
    pictures = [
        s for s in deck.slides for shape in s.shapes if shape.shape_type == MSO_SHAPE_TYPE.PICTURE
    ]
    assert len(pictures) >= 20


# --------------------------------------------------------------------------------------------
# One kernel per worker, an empty namespace per notebook (point 6)
# --------------------------------------------------------------------------------------------
@pytest.mark.notebooks
def test_a_kernel_session_runs_each_notebook_from_an_empty_namespace(tmp_path):
    from portfolio_lib.report.execute import KernelSession, NotebookFailure, execute_notebook

    def notebook(name: str, *sources: str) -> Path:
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                     "language": "python"}  # fmt: skip
        nb.cells = [nbformat.v4.new_markdown_cell(f"# {name}")]
        nb.cells += [nbformat.v4.new_code_cell(source) for source in sources]
        nbformat.write(nb, tmp_path / f"{name}.ipynb")
        return tmp_path / f"{name}.ipynb"

    first = notebook("first", "import os\nSECRET = 41\nprint(os.getpid())")
    second = notebook("second", "import os\nprint('SECRET' in globals(), os.getpid())")
    third = notebook("third", "x = 1", "raise ValueError('third fails')")
    with KernelSession() as session:
        execute_notebook(first, tmp_path / "out1.ipynb", {}, session=session)
        execute_notebook(second, tmp_path / "out2.ipynb", {}, session=session)
        with pytest.raises(NotebookFailure) as failed:
            execute_notebook(third, tmp_path / "out3.ipynb", {}, session=session)
    pid = nbformat.read(tmp_path / "out1.ipynb", as_version=4).cells[1].outputs[0]["text"]
    out2 = nbformat.read(tmp_path / "out2.ipynb", as_version=4)
    # the same kernel process, but nothing left of the first notebook
    assert out2.cells[1].outputs[0]["text"] == f"False {pid.strip()}\n"
    assert [c.source for c in out2.cells] == [c.source for c in nbformat.read(second, 4).cells]
    # cells counted as in JupyterLab: the session's reset cell is not one of them
    assert failed.value.cell == 3 and failed.value.evalue == "third fails"
    assert not session.manager.has_kernel  # shut down on exit
