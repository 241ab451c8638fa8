"""Property-based tests of scenario inputs: whatever a file or ``--set`` says, it either runs
(tiny: 200 patients, 2 years) with finite results, or is refused with one message naming the
file and the field. Never a traceback, never a silent NaN.

Values are drawn near each parameter's plausible range (so many run) and from the values
that broke the model before (NaN, infinity, huge, negative, true, words, lists, tables).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.config.declare import ParameterInfo, iter_parameters
from sim.config.plausibility import STRICT_ENV
from sim.config.scenario import ScenarioError, load_scenario, parse_toml, scenario_from_dict
from sim.engine.run import simulate

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "scenarios" / "competing_icps_capitation.toml"
PARAMETERS: list[ParameterInfo] = [
    p
    for p in iter_parameters(load_scenario(BASE))
    if isinstance(p.value, int | float) and not isinstance(p.value, bool)
]
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

NASTY = st.sampled_from(
    [
        float("nan"),
        float("inf"),
        float("-inf"),
        1e300,
        -1e300,
        -1,
        -1e-9,
        10**30,
        True,
        False,
        "many",
        "",
        [1, 2],
        {"a": 1},
    ]
)


def _near(p: ParameterInfo) -> st.SearchStrategy[Any]:
    """Values around the parameter's plausible range (or its default), clipped to nothing."""
    lo, hi = p.assumption_range or (p.value * 0.5, p.value * 1.5 + 1e-3)
    lo, hi = float(min(lo, hi)), float(max(lo, hi))
    span = hi - lo or 1.0
    if isinstance(p.value, int):
        return st.integers(int(lo - span), int(hi + span))
    return st.floats(lo - 0.5 * span, hi + 0.5 * span, allow_nan=False)


@st.composite
def overrides(draw: st.DrawFn) -> list[tuple[str, Any]]:
    chosen = draw(st.lists(st.sampled_from(PARAMETERS), min_size=1, max_size=3, unique=True))
    return [(p.key.replace("[", ".").replace("]", ""), draw(_near(p) | NASTY)) for p in chosen]


def _as_toml(value: Any) -> str:
    return tomli_w.dumps({"v": value}).split("=", 1)[1].strip()


def _check_refusal(message: str, source: str, keys: list[str]) -> None:
    assert "Traceback" not in message
    assert source in message, message
    assert any(f"'{k}" in message for k in keys) or "field '" in message, message


def _run_finite(scenario: Any) -> None:
    metrics = simulate(scenario, patients=200, years=2)
    values = metrics["value"].to_numpy(dtype=float)
    assert np.isfinite(values).all(), metrics[~np.isfinite(values)].head()


@pytest.fixture(autouse=True)
def _not_strict(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(STRICT_ENV, raising=False)


@SETTINGS
@given(overrides())
def test_set_values_either_run_finite_or_are_refused_naming_the_field(
    pairs: list[tuple[str, Any]],
) -> None:
    texts = [f"{key}={_as_toml(value)}" for key, value in pairs]
    try:
        scenario = load_scenario(BASE, texts)
    except ScenarioError as err:
        _check_refusal(str(err), str(BASE), [k for k, _ in pairs])
        return
    for key, value in pairs:
        assert not (isinstance(value, float) and not math.isfinite(value)), key
    _run_finite(scenario)


def _put(data: dict[str, Any], key: str, value: Any) -> None:
    node: Any = data
    parts = key.split(".")
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    node[int(parts[-1]) if isinstance(node, list) else parts[-1]] = value


@SETTINGS
@given(overrides(), st.sampled_from(["", "\n#" + "x" * 10, "\n[extra]\nx = 1\n"]))
def test_generated_scenario_files_either_run_finite_or_are_refused_naming_file_and_field(
    tmp_path_factory: pytest.TempPathFactory, pairs: list[tuple[str, Any]], tail: str
) -> None:
    data = load_scenario(BASE).model_dump(mode="json", exclude_none=True)
    for key, value in pairs:
        _put(data, key, value)
    path = tmp_path_factory.mktemp("gen") / "generated.toml"
    path.write_text(tomli_w.dumps(data) + tail, encoding="utf-8")
    try:
        scenario = load_scenario(path)
    except ScenarioError as err:
        _check_refusal(str(err), str(path), [k for k, _ in pairs] + ["extra"])
        return
    assert tail != "\n[extra]\nx = 1\n"
    _run_finite(scenario)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.binary(max_size=400) | st.text(max_size=200).map(str.encode))
def test_arbitrary_bytes_are_read_or_refused_with_a_message(raw: bytes) -> None:
    try:
        data = parse_toml(raw, "random.toml")
        scenario_from_dict(data, "random.toml")
    except ScenarioError as err:
        assert str(err).startswith("random.toml"), err
