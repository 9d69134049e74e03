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
            "--MappingKernelManager.cull_idle_timeout=300",
            "--MappingKernelManager.cull_interval=60",
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
    assert page.get_by_role("tab").count() == 8


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


def test_upload_of_a_french_export_gives_its_customer_count(page):
    page.get_by_text("Mes fichiers").click()
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
    page.get_by_text("Mes fichiers").click()
    _upload(page, 0, bad)
    page.get_by_role("button", name="Analyser").click()
    error = page.locator(".portfolio-error").first
    error.wait_for()
    text = error.inner_text()
    assert "ventes.csv" in text and "introuvable" in text and "Que faire" in text
    assert "23\u00a0888 transactions" in _summary(page)  # the sample analyses stay


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
