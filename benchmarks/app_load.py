"""Load test of the workshop app: ten participants open it at once (not a timed test).

For each data set (the sample; a generated log of 1.6m rows, about 100k customers), serve
``notebooks/app.ipynb`` with Voilà as ``make app`` does, then with Debian's Chromium:

1. one page alone: time to its first chart, its kernel's memory;
2. ``--pages`` pages opened at the same moment: time to the first chart of each;
3. with every page open, each opens the Équilibre tab, then all move the first slider at the
   same moment: time until each page shows the redrawn chart (slider latency under load);
4. the kernels' memory with every page open: resident (RSS, counting the shared libraries'
   pages every kernel maps) and unique (USS, what one more participant costs), and the CPU
   seconds each kernel used (steadier than wall time on a shared machine).

Targets (issue 16): first chart < 3 s for a single page and < 10 s for the tenth; a slider
move redraws < 300 ms at 100k customers. The figures go to stdout and to
``benchmarks/results/app_load.md``.

Usage::

    .venv/bin/python benchmarks/app_load.py                 # sample and 1.6m, 10 pages
    .venv/bin/python benchmarks/app_load.py --sizes sample --pages 4
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
from playwright.async_api import TimeoutError as PlaywrightTimeout

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))

from generate import ensure_log  # noqa: E402  (benchmarks/ is not a package on the path)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu"]
TIMEOUT_MS = 600_000
# A page with no chart after 5 minutes is counted as failed (its kernel may have been culled
# before the page connected to it: the cull does not wait for a page still loading).
FIRST_CHART_MS = 300_000
FIRST_CHART = ".portfolio-tab-overview .portfolio-chart img"
BALANCE_CHART = ".portfolio-tab-balance .portfolio-chart img"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _notebook(folder: Path, files: dict[str, str] | None) -> Path:
    """notebooks/app.ipynb with START_FILES set to ``files`` (None: the sample)."""
    notebook = json.loads((ROOT / "notebooks" / "app.ipynb").read_text())
    for cell in notebook["cells"]:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            cell["source"] = [f"LANG = 'fr'\nUPLOAD_LIMIT_MB = 50.0\nSTART_FILES = {files!r}\n"]
    path = folder / "app.ipynb"
    path.write_text(json.dumps(notebook))
    return path


def _serve(notebook: Path, cull_idle: int = 60) -> tuple[subprocess.Popen, str]:
    """Voilà with the flags of `make app`, the project first on the kernels' path."""
    port = _free_port()
    voila = Path(sys.executable).with_name("voila")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [str(voila), str(notebook), "--no-browser", "--Voila.ip=127.0.0.1", f"--port={port}",
         f"--MappingKernelManager.cull_idle_timeout={cull_idle}", "--MappingKernelManager.cull_interval=15",
         "--MappingKernelManager.cull_connected=False", "--MappingKernelManager.cull_busy=True"],
        cwd=notebook.parent, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    for _ in range(120):
        try:
            urllib.request.urlopen(url + "voila/static/", timeout=2)
        except urllib.error.HTTPError:
            break
        except OSError:
            time.sleep(0.5)
            continue
        break
    return process, url


def _kernels(process: subprocess.Popen, exclude: frozenset[int] = frozenset()) -> list[dict]:
    """Each kernel of the server: resident memory (RSS: with the shared libraries' pages every
    kernel maps), unique memory (USS: what this kernel alone holds, freed when it stops), in
    MB, and CPU seconds used so far."""
    kernels = []
    for child in psutil.Process(process.pid).children(recursive=True):
        try:
            if "ipykernel" in " ".join(child.cmdline()) and child.pid not in exclude:
                memory, cpu = child.memory_full_info(), child.cpu_times()
                kernels.append({"pid": child.pid, "rss": memory.rss / 1e6, "uss": memory.uss / 1e6,
                                "cpu": cpu.user + cpu.system})  # fmt: skip
        except psutil.Error:
            continue
    return sorted(kernels, key=lambda kernel: kernel["rss"])


def _load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


async def _open(browser, url: str) -> tuple[object, object, float]:
    context = await browser.new_context(viewport={"width": 1280, "height": 720})
    page = await context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    started = time.perf_counter()
    try:
        await page.goto(url, timeout=FIRST_CHART_MS)
        await page.locator(FIRST_CHART).first.wait_for(timeout=FIRST_CHART_MS)
    except PlaywrightTimeout:  # counted as a page that never showed its chart
        return context, page, math.inf
    return context, page, time.perf_counter() - started


async def _slider(page) -> float:
    """Move the A cut of the Équilibre tab one step; seconds until the Pareto chart changes."""
    before = await page.locator(BALANCE_CHART).first.get_attribute("src")
    slider = page.locator(".portfolio-tab-balance").get_by_role("slider").first
    await slider.focus()
    started = time.perf_counter()
    await slider.press("ArrowLeft")
    await page.wait_for_function(
        "([s, b]) => { const i = document.querySelector(s); return i && i.getAttribute('src') !== b; }",
        arg=[BALANCE_CHART, before],
        timeout=TIMEOUT_MS,
    )
    return time.perf_counter() - started


async def _open_balance(page) -> None:
    await page.get_by_role("tab", name="Équilibre", exact=True).click()
    await page.locator(BALANCE_CHART).first.wait_for()


def _progress(step: str, *figures: object) -> None:
    """One line per finished step (a long run shows where it is)."""
    print(f"[{time.strftime('%H:%M:%S')}] {step}: {figures}", file=sys.stderr, flush=True)


async def measure(url: str, process: subprocess.Popen, pages: int) -> dict:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context, page, single = await _open(browser, url)
        first = _kernels(process)  # right after the first chart: the first screen's cost
        _progress("1 page: first chart", single, first)
        await _open_balance(page)
        single_slider = await _slider(page)
        _progress("1 page: slider", single_slider)
        await context.close()
        # The single page's kernel stays until culled: the N pages' kernels are the others.
        single_pids = frozenset(kernel["pid"] for kernel in _kernels(process))
        load = _load()
        opened = await asyncio.gather(*(_open(browser, url) for _ in range(pages)))
        firsts = sorted(seconds for _, _, seconds in opened)
        memory = _kernels(process, single_pids)
        _progress(f"{pages} pages: first charts", firsts, memory)
        shown = [page for _, page, seconds in opened if math.isfinite(seconds)]
        await asyncio.gather(*(_open_balance(page) for page in shown))
        _progress(f"{pages} pages: Équilibre open")
        sliders = sorted(await asyncio.gather(*(_slider(page) for page in shown)))
        _progress(f"{pages} pages: sliders", sliders)
        for context, _, _ in opened:
            await context.close()
        await browser.close()
    return {
        "single_first_chart_s": single,
        "single_slider_s": single_slider,
        "single_kernel": first[-1] if first else {},
        "first_chart_s": firsts,
        "kernels": memory,
        "slider_s": sliders,
        "load_average": load,
    }


def _row(name: str, customers: str, result: dict) -> str:
    firsts, sliders, kernels = result["first_chart_s"], result["slider_s"], result["kernels"]
    failed = sum(not math.isfinite(seconds) for seconds in firsts)
    one, rss = result["single_kernel"], [kernel["rss"] for kernel in kernels]
    uss = [kernel["uss"] for kernel in kernels]
    return (
        f"| {name} | {customers} | {result['single_first_chart_s']:.1f} | "
        f"{one.get('cpu', float('nan')):.1f} | {firsts[0]:.1f} / {statistics.median(firsts):.1f} / "
        f"{firsts[-1]:.1f}{f' ({failed} never shown)' if failed else ''} | {statistics.median(kernel['cpu'] for kernel in kernels):.1f} | "
        f"{result['single_slider_s']:.2f} | {statistics.median(sliders):.2f} / {sliders[-1]:.2f} | "
        f"{one.get('rss', float('nan')):.0f} / {one.get('uss', float('nan')):.0f} | "
        f"{statistics.median(rss):.0f} / {statistics.median(uss):.0f} ({len(kernels)} kernels: "
        f"{sum(uss) / 1000:.1f} GB unique) | {result['load_average']} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["sample", "1.6m"])
    parser.add_argument("--pages", type=int, default=10)
    parser.add_argument(
        "--cull-idle", type=int, default=60,
        help="seconds before an idle kernel with no page connected is shut down (make app: 60)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    lines = [
        f"### App load: {args.pages} pages at once (1280x720, Chromium headless, {os.cpu_count()} cores)",
        "",
        "| data | customers | 1 page: first chart (s) | its kernel's CPU (s) | N pages: first "
        "chart min / median / last (s) | their kernels' CPU, median (s) | 1 page: slider (s) | "
        "N pages: slider median / max (s) | 1 kernel after its first chart: RSS / USS (MB) | "
        "N kernels: median RSS / USS (MB) | load average before the N pages |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for size in args.sizes:
        if size == "sample":
            files, customers = None, "2,000"
        else:
            log = ensure_log(size, verbose=True)
            files = {"transactions": str(log.transactions), "customers": str(log.customers),
                     "costs": str(log.costs)}  # fmt: skip
            customers = f"{log.n_customers:,}"
        with tempfile.TemporaryDirectory() as folder:
            process, url = _serve(_notebook(Path(folder), files), args.cull_idle)
            try:
                result = asyncio.run(measure(url, process, args.pages))
            finally:
                process.terminate()
                process.wait(timeout=30)
        print(json.dumps({size: result}), flush=True)
        lines.append(_row(size, customers, result))
    report = "\n".join(lines) + "\n"
    print(report)
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "app_load.md").write_text(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
