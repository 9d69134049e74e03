"""The workshop app in a real browser: Voilà serving notebooks/app.ipynb, driven by Playwright.

Needs Debian's Chromium (``apt install chromium``). Without it these tests skip with a message,
except when ``PORTFOLIO_REQUIRE_BROWSER=1`` (set by ``.ci/run``), where a missing browser fails.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from portfolio_lib.config import NOTEBOOKS_DIR, PROJECT_ROOT

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
EDGE = Path(__file__).parent / "data" / "edge"
APP_TIMEOUT_MS = 120_000  # the first page runs the notebook: kernel start, sample aggregation
# As `make app`: a kernel whose page is gone is shut down after 60 s without activity.
CULLING = [
    "--MappingKernelManager.cull_idle_timeout=60",
    "--MappingKernelManager.cull_interval=15",
    "--MappingKernelManager.cull_connected=False",
    "--MappingKernelManager.cull_busy=True",
]


_VOILA: dict[str, subprocess.Popen] = {}  # the module's Voilà server, to count its kernels


def _require_browser() -> None:
    if Path(CHROMIUM).exists():
        return
    message = "no Chromium found: install Debian's chromium (apt install chromium) to run the browser tests"
    if os.environ.get("PORTFOLIO_REQUIRE_BROWSER") == "1":
        pytest.fail(message)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    """Voilà on a free loopback port, started the way `make app` does."""
    _require_browser()
    port = _free_port()
    voila = Path(sys.executable).with_name("voila")
    process = subprocess.Popen(
        [
            str(voila),
            str(NOTEBOOKS_DIR / "app.ipynb"),
            "--no-browser",
            "--Voila.ip=127.0.0.1",
            f"--port={port}",
            *CULLING,
            "--Voila.tornado_settings={'websocket_max_message_size': 104857600}",
        ],
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "voila/static/", timeout=2)
        except urllib.error.HTTPError:
            break  # the server answers (404 on the folder is fine)
        except OSError:
            time.sleep(0.5)
            continue
        break
    else:
        process.terminate()
        pytest.fail("Voilà did not start within 60 s")
    _VOILA["process"] = process
    yield url
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="module")
def browser():
    _require_browser()
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(APP_TIMEOUT_MS)
    page.goto(server)
    page.locator(".portfolio-app").wait_for()
    page.locator(".portfolio-tab-overview").wait_for()
    yield page
    context.close()


def _summary(page) -> str:
    return page.locator(".portfolio-ok").first.inner_text()


def _upload(page, kind_index: int, path: Path) -> None:
    """Choose a file with the n-th upload button (0 transactions, 1 customers, 2 costs).

    ipywidgets keeps its file input out of the page: click the button, answer the chooser.
    """
    with page.expect_file_chooser() as chooser:
        page.locator(".widget-upload").nth(kind_index).click()
    chooser.value.set_files(str(path))


def test_app_loads_on_the_sample_without_showing_code(page):
    assert page.get_by_text("Analyse du portefeuille client").first.is_visible()
    assert "23\u00a0888 transactions, 2\u00a0000 clients" in _summary(page)
    overview = page.locator(".portfolio-tab-overview")
    overview.locator(".widget-output img").first.wait_for()
    content = page.content()
    assert "build_app(" not in content and "import portfolio_lib" not in content
    assert page.get_by_role("tab").count() == 13


def test_language_switch(page):
    page.get_by_role("button", name="EN", exact=True).click()
    page.get_by_text("Customer portfolio analysis").first.wait_for()
    # The page's texts arrive one widget message at a time: wait for the summary's too.
    page.wait_for_function(
        "() => document.querySelector('.portfolio-ok')?.innerText.includes('customers')"
    )
    assert "2,000 customers" in _summary(page)


def test_slider_change_redraws_the_chart(page):
    page.get_by_role("tab", name="Équilibre").click()
    tab = page.locator(".portfolio-tab-balance")
    first_image = tab.locator(".widget-output img").first
    first_image.wait_for()
    before = first_image.get_attribute("src")
    slider = tab.get_by_role("slider").first
    slider.focus()
    for _ in range(5):
        slider.press("ArrowLeft")
    page.wait_for_function(
        "([selector, before]) => { const img = document.querySelector(selector);"
        " return img && img.getAttribute('src') !== before; }",
        arg=[".portfolio-tab-balance .widget-output img", before],
    )
    assert first_image.get_attribute("src") != before


def _open_data(page) -> None:
    """Unfold the data source (folded away by default) and choose "Mes fichiers"."""
    page.locator(".portfolio-data-toggle").click()
    page.get_by_text("Mes fichiers").click()


def test_upload_of_a_french_export_gives_its_customer_count(page):
    _open_data(page)
    _upload(page, 0, EDGE / "transactions_fr.csv")
    page.locator(".mapping-transactions-customer_id").wait_for()
    mapped = page.locator(".mapping-transactions-customer_id select").input_value()
    assert mapped == "N° client"
    page.get_by_role("button", name="Analyser").click()
    page.wait_for_function(
        "() => document.querySelector('.portfolio-ok')?.innerText.includes('6 clients')"
    )
    assert "14 transactions, 6 clients" in _summary(page)


def test_a_bad_file_shows_the_error_message(page, tmp_path):
    bad = tmp_path / "ventes.csv"
    bad.write_text("Client;Jour;Montant TTC\nA;01/01/2025;12\n", encoding="utf-8")
    _open_data(page)
    _upload(page, 0, bad)
    page.get_by_role("button", name="Analyser").click()
    error = page.locator(".portfolio-error").first
    error.wait_for()
    text = error.inner_text()
    assert "ventes.csv" in text and "introuvable" in text and "Que faire" in text
    assert "23\u00a0888 transactions" in _summary(page)  # the sample analyses stay
    # ... and the page says so: the results on screen are the sample's.
    said = page.locator(".portfolio-error").nth(1).inner_text()
    assert "les résultats à l'écran restent ceux de : Données d'exemple" in said


def _kernel_messages(ws_url: str, messages: list[dict], *, seconds: float = 5.0) -> list[str]:
    """Send kernel messages over the websocket, return the types of the replies.

    Runs its own event loop in a thread: Playwright's sync API owns this thread's loop.
    """
    import asyncio
    import threading

    from tornado.websocket import websocket_connect

    replies: list[str] = []

    async def exchange() -> None:
        connection = await websocket_connect(ws_url)
        for message in messages:
            await connection.write_message(json.dumps(message))
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                reply = await asyncio.wait_for(connection.read_message(), 1.0)
            except TimeoutError:
                continue
            if reply is None:
                break
            if isinstance(reply, str):
                replies.append(json.loads(reply).get("msg_type", ""))
        connection.close()

    thread = threading.Thread(target=lambda: asyncio.run(exchange()))
    thread.start()
    thread.join(seconds + 30)
    return replies


def test_the_server_runs_no_code_sent_from_the_page(server, tmp_path):
    """Only widget messages reach the kernel: an execute_request is dropped by Voilà."""
    page_html = urllib.request.urlopen(server, timeout=APP_TIMEOUT_MS / 1000).read().decode()
    kernel_id = re.search(r'"kernelId":\s*"([0-9a-f-]{36})"', page_html)
    assert kernel_id, "kernel id not found in the page"
    marker = tmp_path / "ran.txt"

    def shell(msg_type: str, content: dict) -> dict:
        header = {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "username": "test",
                  "session": uuid.uuid4().hex, "version": "5.3", "date": ""}  # fmt: skip
        return {"header": header, "parent_header": {}, "metadata": {}, "content": content,
                "channel": "shell", "buffers": []}  # fmt: skip

    code = f"open({str(marker)!r}, 'w').write('ran')"
    ws_url = f"{server.replace('http', 'ws', 1)}api/kernels/{kernel_id.group(1)}/channels"
    replies = _kernel_messages(
        ws_url,
        [
            shell("kernel_info_request", {}),
            shell("execute_request", {"code": code, "silent": False}),
        ],
    )
    assert "kernel_info_reply" in replies, "the websocket check itself did not reach the kernel"
    assert "execute_reply" not in replies and "execute_input" not in replies
    assert not marker.exists()
    for path in ("api/contents", "tree", "lab", "api/terminals", "notebooks/app.ipynb"):
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(server + path, timeout=10)
        assert info.value.code in (403, 404, 405)


# --------------------------------------------------------------------------------------------
# Issue 16: the workshop app on a projector


def _kernel_pids() -> set[int]:
    """The kernels the test server runs (its ipykernel child processes)."""
    psutil = pytest.importorskip("psutil")
    voila = psutil.Process(_VOILA["process"].pid)
    pids = set()
    for child in voila.children(recursive=True):
        try:
            if child.status() != psutil.STATUS_ZOMBIE and "ipykernel" in " ".join(child.cmdline()):
                pids.add(child.pid)
        except psutil.Error:  # ended while we looked: gone
            continue
    return pids


def _open_tab(page, name: str, key: str):
    page.get_by_role("tab", name=name, exact=True).click()
    tab = page.locator(f".portfolio-tab-{key}")
    tab.locator(".portfolio-controls").first.wait_for()
    return tab


def _wait_text(page, selector: str, text: str) -> None:
    page.wait_for_function(
        "([s, t]) => [...document.querySelectorAll(s)].some(e => e.innerText.includes(t))",
        arg=[selector, text],
    )


def test_tab_filter_and_slider_survive_a_language_switch(page):
    tab = _open_tab(page, "Équilibre", "balance")
    tab.locator(".portfolio-chart img").first.wait_for()
    slider = tab.get_by_role("slider").first
    slider.focus()
    for _ in range(5):
        slider.press("ArrowLeft")
    _wait_text(page, ".portfolio-tab-balance .portfolio-readout", "75\u00a0%")
    page.locator(".portfolio-filters select").first.select_option("Julie Petit")
    _wait_text(page, ".portfolio-banner", "Commercial\u00a0: Julie Petit")
    _wait_text(page, ".portfolio-tab-balance .portfolio-readout", "75\u00a0%")
    page.get_by_role("button", name="EN", exact=True).click()
    _wait_text(page, ".portfolio-banner", "Sales rep: Julie Petit")
    _wait_text(page, ".portfolio-tab-balance .portfolio-readout", "75%")
    selected = page.locator('[role="tab"][aria-selected="true"]')
    assert selected.count() == 1 and selected.inner_text().strip() == "Balance"
    assert page.locator(".lm-TabBar-tab.lm-mod-current").count() == 1
    assert page.locator(".portfolio-filters select").first.input_value() == "Julie Petit"
    assert page.locator(".portfolio-tab-balance .portfolio-chart img").first.is_visible()


# Leaves of the layout that must never cover each other: labels, tracks, readouts, inputs.
_LEAVES = """() => {
  const sel = `.portfolio-control-label, .portfolio-control .slider, .portfolio-readout,
    .portfolio-control select, .portfolio-control input, .portfolio-filters select,
    .portfolio-filters .widget-label, .portfolio-filters button, .portfolio-data-toggle,
    .portfolio-app h2, .portfolio-ok`;
  return [...document.querySelectorAll(sel)]
    .filter(e => e.offsetParent !== null)
    .map(e => { const r = e.getBoundingClientRect();
      return {cls: e.className, text: (e.innerText || '').slice(0, 40),
              x: r.left, y: r.top, w: r.width, h: r.height}; });
}"""

_TABS = {
    "fr": [("Vue d'ensemble", "overview"), ("Poids", "weight"), ("Mouvements", "movements"),
           ("CAC / CRC", "costs"), ("Équilibre", "balance"), ("RFM", "rfm"),
           ("Valeur client", "clv"), ("Alertes", "alerts"),
           ("Valeur du portefeuille", "value"), ("Portefeuilles commerciaux", "portfolio")],
    "en": [("Overview", "overview"), ("Weight", "weight"), ("Movements", "movements"),
           ("CAC / CRC", "costs"), ("Balance", "balance"), ("RFM", "rfm"),
           ("Customer value", "clv"), ("Alerts", "alerts"),
           ("Portfolio value", "value"), ("Rep portfolios", "portfolio")],
}  # fmt: skip


def _overlaps(boxes: list[dict]) -> list[tuple[str, str]]:
    found = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            dx = min(a["x"] + a["w"], b["x"] + b["w"]) - max(a["x"], b["x"])
            dy = min(a["y"] + a["h"], b["y"] + b["h"]) - max(a["y"], b["y"])
            if dx > 1 and dy > 1:  # a shared border is no overlap
                found.append((f"{a['cls']} {a['text']!r}", f"{b['cls']} {b['text']!r}"))
    return found


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_no_control_overlaps_another_at_1280x720(browser, server, lang, tmp_path):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.set_default_timeout(APP_TIMEOUT_MS)
    try:
        page.goto(server)
        page.locator(".portfolio-tab-overview .portfolio-chart img").first.wait_for()
        if lang == "en":
            page.get_by_role("button", name="EN", exact=True).click()
            _wait_text(page, ".portfolio-ok", "customers")
        # A compact header: the tabs start within the top 150 px of a 720 px projector.
        assert page.locator(".lm-TabBar").bounding_box()["y"] < 150
        for name, key in _TABS[lang]:
            _open_tab(page, name, key)
            page.screenshot(path=str(tmp_path / f"{lang}-{key}.png"))
            boxes = page.evaluate(_LEAVES)
            tracks = [b for b in boxes if "slider" in b["cls"] and "label" not in b["cls"]]
            assert all(b["w"] >= 100 for b in tracks), (key, tracks)
            assert not _overlaps(boxes), (key, _overlaps(boxes))
            readouts = [b["text"] for b in boxes if "portfolio-readout" in b["cls"]]
            if lang == "fr":  # French numbers: no "2.00", no "8.50k"
                assert not [t for t in readouts if re.search(r"\d\.\d|\dk", t)], readouts
            labels = page.locator(f".portfolio-tab-{key} .portfolio-control-label")
            for index in range(labels.count()):  # wrapped, never cut
                width = labels.nth(index).evaluate("e => e.scrollWidth - e.clientWidth")
                assert width <= 1, labels.nth(index).inner_text()
    finally:
        context.close()


def test_tables_say_ten_of_n_and_show_every_row(page):
    # The vivier of course text 002 (the 2x2 block): 1,184 customers on the sample.
    tab = _open_tab(page, "Équilibre", "balance")
    vivier = tab.locator(".portfolio-table", has_text="Vivier : zone de fragilité")
    vivier.locator(".portfolio-row-count").wait_for()
    assert vivier.locator(".portfolio-row-count").inner_text() == "(10 sur 1\u00a0184)"
    assert vivier.locator("tbody tr").count() == 10
    # Over 500 rows the Excel file is made on demand: the button, then its link.
    vivier.get_by_role("button", name="Préparer l'Excel").click()
    assert vivier.locator("a.portfolio-download").get_attribute("download").startswith(
        "equilibre-vivier"
    ) or vivier.locator("a.portfolio-download").get_attribute("download").startswith("equilibre_")
    vivier.get_by_role("button", name="Voir les 1\u00a0184 lignes").click()
    # At most 500 rows on screen, and the page says the Excel file has them all.
    page.wait_for_function(
        "() => [...document.querySelectorAll('.portfolio-tab-balance .portfolio-table')]"
        ".some(t => t.querySelectorAll('tbody tr').length === 500)"
    )
    _wait_text(page, ".portfolio-tab-balance", "Les 500 premières lignes sur 1\u00a0184")


def test_value_and_rep_portfolio_tabs_show_the_course_frameworks(page):
    # Course texts 000/001/003 in the app: break-even and customer equity, and each rep's
    # portfolio document with its classes (ABC, PMG, lifecycle phase, hit-parade tier, RFM).
    _open_tab(page, "Valeur du portefeuille", "value")
    _wait_text(page, ".portfolio-tab-value", "Capital client")
    portfolio = _open_tab(page, "Portefeuilles commerciaux", "portfolio")
    portfolio.locator(".portfolio-table").first.wait_for()
    text = portfolio.inner_text()
    for word in ("Tranche", "Phase", "ABC"):
        assert word in text, word


def test_migration_and_products_tabs_show_their_matrix_and_mix(page):
    # Issue 18: the migration matrix (classification selector) and the product mix tabs.
    migration = _open_tab(page, "Migrations", "migration")
    migration.locator(".widget-output img").first.wait_for()
    _wait_text(page, ".portfolio-tab-migration", "Nouveaux")
    text = migration.inner_text()
    assert "Classe ABC" in text and "Perdus" in text
    products = _open_tab(page, "Produits", "products")
    products.locator(".widget-output img").first.wait_for()
    _wait_text(page, ".portfolio-tab-products", "Ventes croisées")
    assert "Plomberie" in products.inner_text()


def test_a_closed_or_reloaded_page_frees_its_kernel(browser, server):
    before = _kernel_pids()
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.set_default_timeout(APP_TIMEOUT_MS)
    page.goto(server)
    page.locator(".portfolio-tab-overview").wait_for()
    first = _kernel_pids() - before
    assert len(first) == 1
    page.reload()
    page.locator(".portfolio-tab-overview").wait_for()
    mine = _kernel_pids() - before
    assert len(mine) == 2  # the reloaded page runs a new kernel; the old one is orphaned
    context.close()
    deadline = time.monotonic() + 120  # the limit: freed within 2 minutes
    while time.monotonic() < deadline and _kernel_pids() & mine:
        time.sleep(5)
    assert not _kernel_pids() & mine, "kernels of closed pages still run after 2 minutes"


def test_an_ambiguous_date_file_is_read_month_first_once_chosen_in_the_panel(page, tmp_path):
    us = tmp_path / "export_us.csv"  # no day above 12: read day first unless told
    us.write_text(
        "client;date;montant\nA;01/05/2024;100\nB;02/03/2024;50\nA;03/04/2024;20\n"
        "C;04/06/2024;70\n",
        encoding="utf-8",
    )
    _open_data(page)
    _upload(page, 0, us)
    warning = page.locator(".portfolio-warning").first
    warning.wait_for()
    text = warning.inner_text()
    assert "se lisent jour/mois ou mois/jour" in text
    assert "choisissez « Mois d'abord (MM/JJ/AAAA) » dans « Format des dates » ci-dessus" in text
    assert "date_format" not in text
    page.locator(".upload-date-format select").select_option(label="Mois d'abord (MM/JJ/AAAA)")
    page.wait_for_function("() => !document.querySelector('.portfolio-warning')")
    page.get_by_role("button", name="Analyser").click()
    page.wait_for_function(
        "() => document.querySelector('.portfolio-ok')?.innerText.includes('3 clients')"
    )
    assert "4 transactions, 3 clients, du 05/01/2024 au 06/04/2024" in _summary(page)
    page.locator(".portfolio-tab-overview .widget-output img").first.wait_for()


def test_the_sheet_of_a_workbook_is_chosen_in_the_panel(page, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active.title = "Janvier"
    for row in (["client", "date", "montant"], ["A", "2024-01-15", 10]):
        book.active.append(row)
    second = book.create_sheet("Février")
    for row in (["client", "date", "montant"], ["C", "2024-02-01", 5], ["D", "2024-02-02", 6]):
        second.append(row)
    path = tmp_path / "ventes.xlsx"
    book.save(path)
    _open_data(page)
    _upload(page, 0, path)
    sheet = page.locator(".upload-sheet-transactions select")
    sheet.wait_for()
    assert sheet.input_value() == "Janvier"
    sheet.select_option(label="Février")
    page.wait_for_function(
        "() => document.querySelector('.upload-sheet-transactions select')?.value === 'Février'"
        " && !document.querySelector('.portfolio-progress:not([style*=\"none\"])')"
    )
    page.get_by_role("button", name="Analyser").click()
    page.wait_for_function(
        "() => document.querySelector('.portfolio-ok')?.innerText.includes('2 clients')"
    )
    assert "2 transactions, 2 clients, du 01/02/2024 au 02/02/2024" in _summary(page)
