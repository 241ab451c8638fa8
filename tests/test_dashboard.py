"""The live dashboard: its model wrapper, and the real page driven in headless Chromium.

The browser test starts ``icsim dashboard`` as a user would, from a folder outside the
repository, then uses Debian's Chromium through Playwright to move a slider, pick a
payment regime, rebuild the model, step it and check that the plots redraw.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from browser import LAUNCH_ARGS, ensure_chromium

REPO = Path(__file__).resolve().parent.parent
# Mesa's own SolaraViz trips one of Solara's hook-order lint checks; nothing to act on here.
pytestmark = pytest.mark.filterwarnings("ignore:.*found despite early return:UserWarning")


# --------------------------------------------------------------------------- the model wrapper


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

    none = dashboard_scenario("fragmented_tariff", n_icps=0)
    assert none.option_names == ["fragmented"]
    assert dashboard_scenario("blended", "tariff").contracts["icp"].kind == "tariff"


def test_model_steps_year_by_year_and_stops_after_the_last():
    from sim.app import DashboardModel

    model = DashboardModel(n_icps=1, patients=2_000, years=3)
    assert model.options == ["fragmented", "icp_north", "icp_rural"]
    for year in (1, 2, 3):
        assert model.running
        model.step()
        assert model.year == year
    assert not model.running
    model.step()  # a step after the last year changes nothing
    assert model.year == 3
    assert set(model.frame()["year"]) == {1, 2, 3}


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
def dashboard_url(tmp_path_factory):
    """``icsim dashboard`` on a free localhost port; always stopped afterwards."""
    folder = tmp_path_factory.mktemp("dashboard")
    port = _free_port()
    log = (folder / "server.log").open("wb")
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
            str(REPO / "scenarios"),
        ],
        cwd=folder,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                pytest.fail(
                    f"dashboard exited with {proc.returncode}:\n"
                    + (folder / "server.log").read_text()[-3000:]
                )
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    "dashboard did not start serving:\n"
                    + (folder / "server.log").read_text()[-3000:]
                )
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_dashboard_in_chromium(chromium, dashboard_url, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1400})
            page.goto(dashboard_url)
            summary = page.locator("main, .v-content, .v-main").first
            expect(summary.get_by_text("Year 0 of 10")).to_be_visible(timeout=90_000)
            expect(
                summary.get_by_text("Options: Fragmented default, ICP north, ICP south, ICP rural")
            ).to_be_visible()

            # Move the ICP slider from 2 to 3 and pick blended payment.
            slider = page.locator(".v-input", has_text="ICPs in the urban locality").get_by_role(
                "slider"
            )
            expect(slider).to_have_attribute("aria-valuenow", "2")
            slider.focus()
            slider.press("ArrowRight")
            expect(slider).to_have_attribute("aria-valuenow", "3")
            page.locator(".v-select", has_text="ICP payment regime").click()
            page.get_by_role("option", name="blended").click()

            # Reset builds the model from the controls.
            page.get_by_role("button", name="Reset").click()
            expect(summary.get_by_text("ICP urban 3")).to_be_visible(timeout=60_000)
            expect(summary.get_by_text("ICPs paid 50% capitation")).to_be_visible()

            plots = summary.locator("img")
            shown = (
                6  # enrolment, emergency admissions, bed days, cost, amenable deaths, unmet need
            )
            expect(plots).to_have_count(shown, timeout=30_000)
            before = [plots.nth(i).screenshot() for i in range(shown)]

            step = page.get_by_role("button", name="Step")
            for year in (1, 2, 3):
                step.click()
                expect(summary.get_by_text(f"Year {year} of 10")).to_be_visible(timeout=60_000)
            expect(
                summary.get_by_text("Whole population, year 3: emergency admissions")
            ).to_be_visible()
            expect(page.get_by_text("Step: 3")).to_be_visible()
            expect(summary.get_by_text("Health: amenable deaths")).to_be_visible()
            after = [plots.nth(i).screenshot() for i in range(shown)]
            changed = [b != a for b, a in zip(before, after, strict=True)]
            assert all(changed), f"plots that did not redraw: {changed}"

            shot = tmp_path / "dashboard.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
            print(f"dashboard screenshot: {shot}")
        finally:
            browser.close()
