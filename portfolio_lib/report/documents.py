"""The report as one PDF and as a PowerPoint deck, beside its HTML pages.

- :func:`write_pdf` prints the summary and every page, one after the other, to one paged A4
  PDF with Chromium (headless), the browser the app's tests already use. Without Chromium the
  report is still published (HTML only) and :class:`MissingTool` says in one line what to
  install.
- :func:`write_slides` writes the consultant's starting deck for the restitution workshop
  (python-pptx): a title slide, the key findings, then one slide per key chart (the first
  chart under each heading of each page) titled by a finding of that page, most important
  first, or by the chart's heading when the page has no finding left.
"""

from __future__ import annotations

import html
import io
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from portfolio_lib import i18n
from portfolio_lib.report.pages import PRINT_CSS, Chart
from portfolio_lib.report.summary import SUMMARY_STYLE, index_body, top_findings

__all__ = [
    "CHROMIUM_ENV",
    "MissingTool",
    "find_chromium",
    "key_charts",
    "write_pdf",
    "write_slides",
]

CHROMIUM_ENV = "PORTFOLIO_CHROMIUM"
_CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
_PDF_TIMEOUT = 180  # seconds
_BODY = re.compile(r"(<body[^>]*>)(.*)(</body>)", re.S)
# The width of an A4 sheet inside its margins, in CSS pixels (186 mm at 96 px per inch):
# the window Chromium lays the document out in, so the screen layout is the printed one.
_SHEET_WIDTH_PX = 703
# A table wider than the sheet is scaled down to fit, never cut (run before printing).
_FIT_TABLES = """<script>
for (const table of document.querySelectorAll("table")) {
  const room = table.parentElement.clientWidth;
  if (room > 0 && table.scrollWidth > room) { table.style.zoom = room / table.scrollWidth; }
}
</script>"""
_MAIN = re.compile(r"<main>(.*)</main>", re.S)

i18n.register(
    {
        "report_slides_findings": {"fr": "À retenir", "en": "Key findings"},
        "report_slides_as_of": {"fr": "Données au {day}", "en": "Data as of {day}"},
    }
)


class MissingTool(RuntimeError):
    """A tool a document needs is not installed; the message is one line saying what to do."""


def find_chromium() -> str | None:
    """The Chromium (or Chrome) to print with: ``$PORTFOLIO_CHROMIUM``, else on the PATH."""
    given = os.environ.get(CHROMIUM_ENV)
    if given:
        return given if Path(given).is_file() else None
    for name in _CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def print_document(folder: Path, run: Mapping[str, Any]) -> str:
    """One HTML document with the summary then every page, each starting on a new sheet.

    The pages' own style (nbconvert's) is kept; links between pages become links inside
    the document.
    """
    pages = [item["html"] for item in run.get("notebooks", [])]
    if not pages:
        raise ValueError("a report without pages has nothing to print")
    first = (folder / pages[0]).read_text(encoding="utf-8")
    sections = [index_body(run)]
    for name in pages:
        match = _MAIN.search((folder / name).read_text(encoding="utf-8"))
        body = match.group(1) if match else ""
        anchor = html.escape(Path(name).stem, quote=True)
        sections.append(f'<section class=report-page id="{anchor}"><main>{body}</main></section>')
    document = "\n".join(sections)
    for name in pages:  # the summary's links to pages
        document = document.replace(f'href="{name}"', f'href="#{html.escape(Path(name).stem)}"')
    style = (
        f"<style>{SUMMARY_STYLE}\n.report-page {{ break-before: page; page-break-before: always; }}"
        "\nbody { margin: 0; padding: 0; }</style>"
    )
    document = _BODY.sub(lambda m: m.group(1) + document + _FIT_TABLES + m.group(3), first, count=1)
    head = PRINT_CSS + style if PRINT_CSS not in document else style
    return document.replace("</head>", head + "</head>", 1)


def write_pdf(folder: Path, run: Mapping[str, Any], path: Path) -> Path:
    """Print the whole report (summary, then each page) to ``path`` with headless Chromium.

    Raises
    ------
    MissingTool
        No Chromium found (install the ``chromium`` package, or set ``PORTFOLIO_CHROMIUM``).
    RuntimeError
        Chromium failed; the message gives its last output line.
    """
    chromium = find_chromium()
    if chromium is None:
        raise MissingTool(
            "PDF not written: Chromium not found (install it: sudo apt install chromium, "
            f"or set {CHROMIUM_ENV}); the HTML report is complete."
        )
    with tempfile.TemporaryDirectory(prefix="portfolio-print-") as scratch:
        source = Path(scratch) / "report.html"
        source.write_text(print_document(folder, run), encoding="utf-8")
        command = [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-pdf-header-footer",
            f"--window-size={_SHEET_WIDTH_PX},1000",
            f"--user-data-dir={Path(scratch) / 'profile'}",
            f"--print-to-pdf={path}",
            source.as_uri(),
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=_PDF_TIMEOUT)
    if done.returncode != 0 or not path.is_file() or not path.stat().st_size:
        last = (done.stderr or done.stdout or "").strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"PDF not written: Chromium failed ({last[0]})")
    return path


def key_charts(charts: Sequence[Chart]) -> list[Chart]:
    """The first chart under each heading of a page."""
    seen: set[str] = set()
    kept = []
    for chart in charts:
        if chart.heading not in seen:
            seen.add(chart.heading)
            kept.append(chart)
    return kept


def write_slides(run: Mapping[str, Any], charts: Mapping[str, Sequence[Chart]], path: Path) -> Path:
    """The starting deck: title, key findings, one slide per key chart with a finding as title.

    Parameters
    ----------
    run : mapping
        The run metadata (``run.json``): language, analysis date, pages and their findings.
    charts : mapping
        ``{page html name: its charts}`` (:func:`portfolio_lib.report.pages.page_charts`).
    path : Path
        The ``.pptx`` to write.
    """
    from pptx import Presentation
    from pptx.util import Emu, Pt

    lang = run.get("lang", "fr")
    deck = Presentation()
    deck.slide_width, deck.slide_height = Emu(12192000), Emu(6858000)  # 16:9
    width, height = deck.slide_width, deck.slide_height
    margin = Emu(457200)  # 0.5 inch

    cover = deck.slides.add_slide(deck.slide_layouts[0])
    cover.shapes.title.text = i18n.label("report_title", lang)
    as_of = (run.get("summary") or {}).get("as_of") or run.get("as_of") or ""
    if as_of:
        cover.placeholders[1].text = i18n.label("report_slides_as_of", lang).format(day=as_of)

    findings = top_findings(run.get("notebooks", []))
    if findings:
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = i18n.label("report_slides_findings", lang)
        body = slide.placeholders[1].text_frame
        for number, finding in enumerate(findings):
            paragraph = body.paragraphs[0] if number == 0 else body.add_paragraph()
            paragraph.text = finding["text"]
            paragraph.font.size = Pt(16)

    blank = deck.slide_layouts[5]  # title only
    for item in run.get("notebooks", []):
        own = sorted(
            (f for f in item.get("findings") or [] if f.get("text")),
            key=lambda f: -float(f.get("importance") or 0.0),
        )
        for number, chart in enumerate(key_charts(charts.get(item["html"], []))):
            slide = deck.slides.add_slide(blank)
            title = own[number]["text"] if number < len(own) else chart.heading or item["title"]
            slide.shapes.title.text = title
            frame = slide.shapes.title.text_frame
            frame.word_wrap = True
            for paragraph in frame.paragraphs:
                paragraph.font.size = Pt(24 if len(title) < 90 else 18)
            slide.shapes.title.top, slide.shapes.title.height = margin // 2, Emu(1100000)
            slide.shapes.title.left, slide.shapes.title.width = margin, width - 2 * margin
            caption = slide.shapes.add_textbox(
                margin, height - margin, width - 2 * margin, Emu(300000)
            )
            caption.text_frame.text = " – ".join(t for t in (item["title"], chart.heading) if t)
            caption.text_frame.paragraphs[0].font.size = Pt(11)
            _add_picture(slide, chart.png, margin, Emu(1650000), width - 2 * margin,
                         height - Emu(1650000) - margin - Emu(100000))  # fmt: skip
    deck.save(str(path))
    return path


def _add_picture(slide: Any, png: bytes, left: int, top: int, box_w: int, box_h: int) -> None:
    """The chart as large as the box allows, keeping its proportions, centred."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        pixels_w, pixels_h = image.size
    scale = min(box_w / pixels_w, box_h / pixels_h)
    shown_w, shown_h = int(pixels_w * scale), int(pixels_h * scale)
    slide.shapes.add_picture(
        io.BytesIO(png),
        left + (box_w - shown_w) // 2,
        top + (box_h - shown_h) // 2,
        width=shown_w,
        height=shown_h,
    )
