"""The live dashboard: its model, its panels, and the real page driven in headless Chromium.

The model tests check what the room is shown: controls left as in the scenario build the
scenario file itself, the baseline arm is the fragmented default with the same seed, and
the replicates differ. The browser test starts ``icsim dashboard`` as a user would, from a
folder outside the repository, and uses Debian's Chromium through Playwright at 1280x720:
every panel inside the window and uncovered, none of Mesa's internal controls, a legend
naming virtual and vertical ICPs, quick key presses on a slider building exactly the
value shown, and the panels redrawing year by year. Two browser contexts (two visitors)
step and change their own models without touching each other's, and the server, started
with every address but this machine's cut off, never tries the network while the page
loads whole. Screenshots go to pytest's temporary folder, never the repository.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from browser import LAUNCH_ARGS, ensure_chromium
from helpers import scenario

REPO = Path(__file__).resolve().parent.parent
SCENARIOS = REPO / "scenarios"
OFFLINE = Path(__file__).resolve().parent / "offline"
"""A ``sitecustomize`` that cuts the server off from every address but this machine's."""
WIDTH, HEIGHT = 1280, 720


@pytest.fixture(autouse=True)
def shipped_scenarios(monkeypatch):
    """The dashboard offers the repository's scenario files, wherever pytest runs from."""
    monkeypatch.setenv("ICSIM_SCENARIOS", str(SCENARIOS))


# --------------------------------------------------------------------------- the model


def test_controls_build_the_scenario_they_describe():
    from sim.app import dashboard_scenario

    base = dashboard_scenario("competing_icps_capitation")
    assert base.option_names == ["fragmented", "icp_north", "icp_south", "icp_rural"]
    assert base.contracts["icp"].kind == "capitation"

    more = dashboard_scenario("competing_icps_capitation", "blended", "none", 1.4, 4)
    urban = [i for i in more.icps if i.localities == ["urban"]]
    assert len(urban) == 4 and [i.name for i in urban[:2]] == ["icp_north", "icp_south"]
    assert more.contracts["icp"].kind == "blended"
    assert more.contracts["icp"].capitation.risk_adjustment == "none"
    assert more.choice.inertia == pytest.approx(1.4)

    assert base.commissioner.rate_setting == "fixed"
    capped = dashboard_scenario("competing_icps_capitation", rate_setting="profit_cap")
    assert capped.commissioner.rate_setting == "profit_cap"
    assert capped.commissioner.profit_cap.cap == pytest.approx(0.075)
    # "as in scenario" keeps the scenario's own rule and terms
    own = dashboard_scenario("competing_icps_rebasing")
    assert own.commissioner.rebasing == scenario("competing_icps_rebasing").commissioner.rebasing
    assert (
        dashboard_scenario(
            "competing_icps_rebasing", rate_setting="fixed"
        ).commissioner.rate_setting
        == "fixed"
    )

    none = dashboard_scenario("fragmented_tariff", n_icps=0)
    assert none.option_names == ["fragmented"]
    assert dashboard_scenario("blended", "tariff").contracts["icp"].kind == "tariff"


def test_the_summary_names_the_commissioners_rule():
    from sim.app import DashboardModel
    from sim.config.controls import RATE_SETTINGS
    from sim.report.dashboard_model import RULE_TEXT

    assert set(RULE_TEXT) == set(RATE_SETTINGS), "every rule has its words in the summary"

    texts = {
        rule: DashboardModel(
            rate_setting=rule, patients=2_000, replicates=1, with_baseline=False
        ).contract_text()
        for rule in ("as in scenario", "fixed", "rebasing", "bidding", "profit_cap")
    }
    assert (
        texts["as in scenario"]
        == texts["fixed"]
        == "ICPs paid by capitation (risk adjustment full)"
    )
    assert texts["rebasing"].endswith("rebased each year towards their cost")
    assert texts["bidding"].endswith("each at its own bid")
    assert texts["profit_cap"].endswith("profit above a cap clawed back")


def test_a_broken_scenario_file_is_named_and_not_offered(tmp_path, monkeypatch):
    """A file that fails validation is left out of the list with its reason, so choosing it
    can never raise inside the page."""
    import shutil

    from sim.app import initial_settings, offered_scenarios

    shutil.copy(SCENARIOS / "fragmented_tariff.toml", tmp_path)
    shutil.copy(SCENARIOS / "competing_icps_capitation.toml", tmp_path)
    text = (SCENARIOS / "blended.toml").read_text()
    (tmp_path / "broken.toml").write_text(text + "\n[choice]\ninertia = -1.0\n")
    monkeypatch.setenv("ICSIM_SCENARIOS", str(tmp_path))
    offered, refused = offered_scenarios()
    assert offered == ["competing_icps_capitation", "fragmented_tariff"]
    assert list(refused) == ["broken"] and "inertia" in refused["broken"]
    assert initial_settings()["scenario"] in offered


def test_a_change_that_would_break_the_scenario_is_refused_with_its_message():
    from sim.app import initial_settings, settings_problem

    settings = initial_settings("competing_icps_capitation")
    assert settings_problem(settings) is None
    problem = settings_problem(settings | {"inertia": -3.0})
    assert problem is not None and "choice.inertia" in problem and "-3" in problem


@pytest.mark.parametrize("name", ["competing_icps_capitation", "pbc_hard_budget", "blended"])
def test_controls_left_as_in_scenario_build_the_scenario_file(name):
    """What the sliders show for a scenario, passed back unchanged, is the scenario file."""
    from sim.app import DashboardModel, initial_settings
    from sim.config.scenario import load_scenario

    settings = initial_settings(name) | {"patients": 2_000}
    model = DashboardModel(**settings, years=2, replicates=1, with_baseline=False)
    expected = load_scenario(SCENARIOS / f"{name}.toml").model_dump(mode="json")
    assert model.scenario.model_dump(mode="json") == expected
    assert model.changed == set()
    # a moved slider is applied exactly as shown
    moved = DashboardModel(**settings | {"inertia": 1.2, "n_icps": 3}, years=2, replicates=1)
    assert moved.scenario.choice.inertia == pytest.approx(1.2)
    assert sum(i.localities == ["urban"] for i in moved.scenario.icps) == 3
    assert moved.changed == {"inertia", "n_icps"}


def test_a_scenario_without_icps_offers_none_on_its_slider():
    from sim.app import initial_settings

    assert initial_settings("pbc_hard_budget")["n_icps"] == 0
    assert initial_settings("competing_icps_capitation")["n_icps"] == 2


def test_the_baseline_arm_is_the_fragmented_default_with_the_same_seed():
    from sim.app import DashboardModel
    from sim.config.scenario import load_scenario
    from sim.engine.model import ICSModel

    model = DashboardModel(patients=2_000, years=3, replicates=2)
    for _ in range(3):
        model.step()
    assert not model.running and model.year == 3
    frame = model.frame()
    assert set(frame["scenario"]) == {"competing_icps_capitation", "fragmented_tariff"}
    assert set(frame["replicate"]) == {0, 1}
    base = load_scenario(SCENARIOS / "fragmented_tariff.toml")
    alone = ICSModel(base, seed=model.seed_value, replicate=1, patients=2_000, years=3)
    for _ in range(3):
        alone.step()
    arm = frame[(frame["scenario"] == "fragmented_tariff") & (frame["replicate"] == 1)]
    expected = alone.metrics.frame()
    pd.testing.assert_series_equal(
        arm["value"].reset_index(drop=True), expected["value"].reset_index(drop=True)
    )
    # the replicates are different draws, so their spread is a band, not a line
    cost = frame[
        (frame["metric"] == "cost_per_capita")
        & (frame["system"] == "all")
        & (frame["group"] == "all")
        & (frame["scenario"] == "competing_icps_capitation")
    ]
    spread = cost.groupby("year")["value"].agg(np.ptp)
    assert (spread > 0).all()


def test_model_steps_year_by_year_and_stops_after_the_last():
    from sim.app import DashboardModel

    model = DashboardModel(n_icps=1, patients=2_000, years=3, replicates=1)
    assert model.options == ["fragmented", "icp_north", "icp_rural"]
    for year in (1, 2, 3):
        assert model.running
        model.step()
        assert model.year == year
    assert not model.running
    model.step()  # a step after the last year changes nothing
    assert model.year == 3
    assert set(model.frame()["year"]) == {1, 2, 3}


def test_panels_draw_each_system_the_whole_population_and_the_baseline():
    from sim.app import DashboardModel
    from sim.report.dashboard_figures import PANELS, Panel, panel_figure
    from sim.report.style import BASELINE_GREY, Palette, system_colour

    model = DashboardModel(patients=2_000, years=3, replicates=2)
    model.step()
    model.step()
    palette = Palette(integration=model.integration)
    args = dict(scenario=model.scenario.scenario.name, years=3, palette=palette)
    metrics = [p.metric for p in PANELS]
    assert (
        "mean_risk" in metrics
        and metrics.index("mean_risk") == metrics.index("cost_per_capita") + 1
    )
    cost = next(p for p in PANELS if p.metric == "cost_per_capita")
    ax = panel_figure(cost, model.frame(), baseline=model.baseline_name, **args).axes[0]
    lines = ax.get_lines()
    colours = [ln.get_color() for ln in lines]
    assert colours[:4] == [system_colour(s) for s in model.options]
    assert colours[4:] == ["#000000", BASELINE_GREY]  # whole population, then the baseline
    assert lines[-1].get_linestyle() == "--"
    faces = {s: ln.get_markerfacecolor() for s, ln in zip(model.options, lines, strict=False)}
    assert faces["icp_north"] == "white" and faces["icp_south"] != "white"  # virtual hollow
    assert len(ax.collections) == 6  # a band for each line: two replicates
    unknown = panel_figure(Panel("no_such_metric", "t", "u"), model.frame(), baseline=None, **args)
    assert unknown.axes[0].texts[0].get_text() == "not in these results"


# --------------------------------------------------------------------------- the browser


@pytest.fixture(scope="module")
def chromium() -> Path:
    path, reason = ensure_chromium()
    if path is None:
        pytest.skip(reason)
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory):
    """``icsim dashboard`` on a free localhost port with no network beyond this machine:
    (url, its terminal log, the log of every outbound connection it tried); always stopped."""
    folder = tmp_path_factory.mktemp("dashboard")
    port = _free_port()
    log_path = folder / "server.log"
    log = log_path.open("wb")
    tried = folder / "outbound.log"
    tried.touch()
    path = os.pathsep.join(p for p in (str(OFFLINE), os.environ.get("PYTHONPATH")) if p)
    env = os.environ | {"PYTHONPATH": path, "ICSIM_OFFLINE_LOG": str(tried)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sim.cli",
            "dashboard",
            "--port",
            str(port),
            "--host",
            "127.0.0.1",
            "--scenarios",
            str(SCENARIOS),
        ],
        cwd=folder,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                pytest.fail(f"dashboard exited with {proc.returncode}:\n{log_path.read_text()}")
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"dashboard did not start serving:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.5)
        yield url, log_path, tried
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


MESA_INTERNALS = ("Play Interval", "Render Interval", "Use Threads", "Step:", "Page 0")


def _assert_every_panel_in_view(page, panels) -> None:
    """Each panel lies wholly inside the 1280x720 window and nothing covers its centre."""
    for i in range(panels.count()):
        box = panels.nth(i).bounding_box()
        assert box is not None, f"panel {i} is not laid out"
        assert box["x"] >= 0 and box["y"] >= 0, f"panel {i} starts off screen: {box}"
        assert box["x"] + box["width"] <= WIDTH + 0.5, f"panel {i} runs off the right: {box}"
        assert box["y"] + box["height"] <= HEIGHT + 0.5, f"panel {i} runs off the bottom: {box}"
        assert box["width"] >= 250 and box["height"] >= 180, f"panel {i} too small: {box}"
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        on_top = page.evaluate(f"document.elementFromPoint({x}, {y}).tagName")
        assert on_top == "IMG", f"panel {i} is covered by a {on_top}"


def test_dashboard_in_chromium_at_1280x720(chromium, dashboard, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    url, log_path, _ = dashboard
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
            page.set_default_timeout(90_000)
            expect.set_options(timeout=90_000)  # a loaded machine may take a while per year
            page.goto(url)
            expect(page.get_by_text("Year 0 of 10")).to_be_visible(timeout=120_000)
            legend = page.locator(".icsim-legend")
            for entry in ("ICP north (virtual)", "ICP south (vertical)", "Baseline"):
                expect(legend).to_contain_text(entry)
            for text in MESA_INTERNALS + ("runs on Solara",):
                expect(page.get_by_text(text)).to_have_count(0)
            panels = page.locator(".icsim-panels img")
            expect(panels).to_have_count(6, timeout=60_000)
            _assert_every_panel_in_view(page, panels)
            page.screenshot(path=str(tmp_path / "dashboard_opened.png"))

            # Every control starts as in the scenario.
            own = scenario("competing_icps_capitation").choice.inertia  # the slider must hit it
            staying = f"Utility of staying: {own:g}, as in scenario"
            expect(page.get_by_text(staying)).to_be_visible()
            icps = page.locator(".v-input", has_text="Urban ICPs").get_by_role("slider")
            expect(icps).to_have_attribute("aria-valuenow", "2")
            expect(
                page.get_by_text("ICPs in the urban locality: 2, as in scenario")
            ).to_be_visible()

            # Quick key presses, then Reset: the model has exactly the value shown.
            icps.focus()
            icps.press("ArrowRight")
            icps.press("ArrowRight")
            icps.press("ArrowLeft")
            icps.press("ArrowRight")
            expect(icps).to_have_attribute("aria-valuenow", "4")
            shown = page.get_by_text("ICPs in the urban locality: 4, changed (scenario: 2)")
            expect(shown).to_be_visible()
            expect(page.get_by_text("Press Reset to build the model")).to_be_visible()
            page.locator(".v-select", has_text="ICP payment regime").click()
            page.get_by_role("option", name="blended").click()
            rule = page.locator(".v-select", has_text="Commissioner's rate setting")
            expect(rule).to_be_in_viewport()  # every control fits the projector's screen
            expect(page.get_by_role("button", name="Reset")).to_be_in_viewport()
            rule.click()
            page.get_by_role("option", name="profit_cap").click()
            page.get_by_role("button", name="Reset").click()
            expect(page.get_by_text("The model shown is built from these controls")).to_be_visible()
            expect(page.get_by_text("ICPs paid 50% capitation")).to_be_visible()
            expect(page.get_by_text("profit above a cap clawed back")).to_be_visible()
            expect(legend).to_contain_text("ICP urban 4")
            expect(legend).to_contain_text("ICP urban 3")
            expect(legend).not_to_contain_text("ICP urban 5")

            before = [panels.nth(i).screenshot() for i in range(6)]
            step = page.get_by_role("button", name="Step")
            for year in (1, 2, 3):
                step.click()
                expect(page.get_by_text(f"Year {year} of 10")).to_be_visible()
            expect(
                page.get_by_text("Year 3, whole population (baseline in brackets)")
            ).to_be_visible()
            expect(panels).to_have_count(6)
            _assert_every_panel_in_view(page, panels)
            after = [panels.nth(i).screenshot() for i in range(6)]
            unchanged = [i for i in range(6) if before[i] == after[i]]
            assert not unchanged, f"panels that did not redraw: {unchanged}"
            shot = tmp_path / "dashboard_year_3.png"
            page.screenshot(path=str(shot))
            assert shot.stat().st_size > 20_000
            print(f"dashboard screenshots: {tmp_path}")

            # A scenario without ICPs: its slider shows none, and none are built.
            page.locator(".v-select").first.click()  # the scenario, first of the controls
            page.get_by_role("option", name="pbc_hard_budget").click()
            expect(icps).to_have_attribute("aria-valuenow", "0")
            page.get_by_role("button", name="Reset").click()
            expect(page.get_by_text("scenario pbc_hard_budget")).to_be_visible()
            expect(page.get_by_text("No ICPs")).to_be_visible()
            expect(legend).not_to_contain_text("ICP")
        finally:
            browser.close()
    log = log_path.read_text()
    noise = [line for line in log.splitlines() if line.strip() and "dashboard at" not in line]
    noise = [line for line in noise if "server is starting" not in line]
    assert not noise, "the terminal should stay quiet:\n" + "\n".join(noise[:20])


def _open(browser, url: str, outside: list[str]):
    """A page in a browser context of its own (its own cookies, so its own session), opened
    at ``url`` and shown year 0; any request beyond the server is refused and noted."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
    origin = url.rstrip("/")

    def only_the_server(route) -> None:
        if route.request.url.startswith((origin, "data:", "blob:")):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_the_server)
    page = context.new_page()
    page.set_default_timeout(90_000)
    page.goto(url)
    expect(page.get_by_text("Year 0 of 10")).to_be_visible(timeout=120_000)
    return page


def test_each_browser_session_has_a_model_of_its_own(chromium, dashboard):
    """Stepping and moving a control in one session leaves another's view as it was, and a
    visitor arriving later starts at year 0 with the scenario's own controls."""
    from playwright.sync_api import expect, sync_playwright

    url, _, _ = dashboard
    outside: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), args=LAUNCH_ARGS)
        try:
            expect.set_options(timeout=90_000)
            first = _open(browser, url, outside)
            second = _open(browser, url, outside)
            icps = first.locator(".v-input", has_text="Urban ICPs").get_by_role("slider")
            icps.focus()
            icps.press("ArrowRight")
            expect(first.get_by_text("ICPs in the urban locality: 3, changed")).to_be_visible()
            for year in (1, 2):
                first.get_by_role("button", name="Step").click()
                expect(first.get_by_text(f"Year {year} of 10")).to_be_visible()

            as_opened = "ICPs in the urban locality: 2, as in scenario"
            expect(second.get_by_text("Year 0 of 10")).to_be_visible()
            expect(second.get_by_text(as_opened)).to_be_visible()
            later = _open(browser, url, outside)
            expect(later.get_by_text(as_opened)).to_be_visible()
            expect(later.get_by_text("Year 2 of 10")).to_have_count(0)

            second.get_by_role("button", name="Step").click()
            expect(second.get_by_text("Year 1 of 10")).to_be_visible()
            expect(first.get_by_text("Year 2 of 10")).to_be_visible()
            expect(later.get_by_text("Year 0 of 10")).to_be_visible()
        finally:
            browser.close()
    assert not outside, f"the page asked for files beyond the server: {outside[:5]}"


def test_the_dashboard_starts_and_serves_without_a_network(chromium, dashboard):
    """The server, cut off from every address but this machine's, never tries one (no
    version check, no telemetry, no assets from a CDN), and the page loads whole."""
    from playwright.sync_api import expect, sync_playwright

    url, _, tried = dashboard
    outside: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), args=LAUNCH_ARGS)
        try:
            page = _open(browser, url, outside)
            expect(page.locator(".icsim-panels img")).to_have_count(6, timeout=60_000)
            page.get_by_role("button", name="Step").click()
            expect(page.get_by_text("Year 1 of 10")).to_be_visible(timeout=90_000)
        finally:
            browser.close()
    assert not outside, f"the page asked for files beyond the server: {outside[:5]}"
    assert tried.read_text() == "", f"the server tried the network:\n{tried.read_text()}"
