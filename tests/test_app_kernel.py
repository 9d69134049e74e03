"""What a participant's kernel costs: the modules the app's first screen imports, and the
technical annex that tells the consultant how the app is served (memory, culling, limits)."""

from __future__ import annotations

import json
import subprocess
import sys

from portfolio_lib.ui.annex import MEASURED, technical_notes
from portfolio_lib.ui.app import App


def test_the_first_screen_imports_neither_scipy_nor_seaborn():
    # Each page's kernel pays for what the notebook imports: scipy (the predictive models)
    # and seaborn (the theme) cost ~65 MB and ~1 s; they load when the CLV tab is opened.
    code = """
import json, sys
from portfolio_lib.plots.common import set_theme
from portfolio_lib.ui.app import App
set_theme()
app = App(lang="fr")
first = sorted({m.split(".")[0] for m in sys.modules} & {"scipy", "seaborn"})
app.tabs.selected_index = list(app.tabs.titles).index("Valeur client")
clv = app.built["clv"].last_view
print(json.dumps([first, "scipy" in sys.modules, clv is not None]))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.splitlines()[-1]) == [[], True, True]


def test_the_technical_annex_is_folded_and_follows_the_language():
    app = App(lang="fr", upload_limit_mb=20.0)
    annex = app.annex
    assert annex in app.root.children and annex.selected_index is None  # folded
    assert annex.get_title(0) == "Annexe technique : comment l'application tourne"
    text = annex.text.value
    assert "Fichiers de 20 Mo au plus" in text
    assert "60 s après sa dernière activité" in text and "benchmarks/app_load.py" in text
    assert f"environ {MEASURED['sample_rss']} Mo résidents" in text
    annex.selected_index = 0  # opened by the presenter: stays open through the switch
    app.language.value = "en"
    assert annex.get_title(0) == "Technical annex: how the app runs"
    assert "Files of 20 MB at most" in annex.text.value and annex.selected_index == 0


def test_participants_per_laptop_follow_the_measured_unique_memory():
    # 8 GB free, the libraries' pages once (130 MB), then each kernel's own memory with
    # every tab open: 7,870 // 240 = 32 on the sample, 7,870 // 610 = 12 on 100k customers.
    memory = technical_notes("en")[2]
    sample = (8000 - 130) // MEASURED["sample_all"]
    large = (8000 - 130) // MEASURED["large_all"]
    assert (sample, large) == (32, 12)
    assert f"holds about {sample} participants on the sample, {large} on 100,000" in memory
