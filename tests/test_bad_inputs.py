"""A regression corpus of bad scenario files: every one refused with one message naming the
file and the field, never a traceback, and never silently run.

The corpus is generated from shipped scenarios: every numeric field of each, fully resolved,
is replaced in turn by NaN, infinity, -1, 1e300, true, a word and a list; then the files'
bytes are corrupted (compressed, re-encoded, truncated, given a NUL or a stray byte, nested
too deeply, a 5,000-digit number, a key given twice). Only validation runs here: the model
is run on a small sample in tests/test_input_properties.py.
"""

from __future__ import annotations

import gzip
import time
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from sim.config.declare import iter_parameters
from sim.config.scenario import ScenarioError, load_scenario

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ["fragmented_tariff", "competing_icps_capitation", "blended", "vertical_kaiser_nc"]
MUTATED = SHIPPED[:3]  # about 4,000 files, validated in about half a minute
BAD_VALUES: list[tuple[str, Any]] = [
    ("nan", float("nan")),
    ("inf", float("inf")),
    ("-inf", float("-inf")),
    ("1e300", 1e300),
    ("true", True),
    ("word", "lots"),
    ("list", [1.0, 2.0]),
    ("table", {"x": 1}),
]


def _dotted(key: str) -> str:
    return key.replace("[", ".").replace("]", "")


def _resolved(name: str) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    """The shipped scenario with every default filled in, and its numeric fields."""
    scenario = load_scenario(ROOT / "scenarios" / f"{name}.toml")
    data = scenario.model_dump(mode="json", exclude_none=True)
    fields = [
        (_dotted(p.key), p.value)
        for p in iter_parameters(scenario)
        if isinstance(p.value, int | float | list) and not isinstance(p.value, bool)
    ]
    return data, fields


def _set(data: dict[str, Any], key: str, value: Any) -> None:
    node: Any = data
    parts = key.split(".")
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[int(parts[-1]) if isinstance(node, list) else parts[-1]] = value


def _refusal(path: Path) -> str:
    """The message a bad file gets; fails the test on a traceback or on acceptance."""
    try:
        load_scenario(path)
    except ScenarioError as err:
        return str(err)
    pytest.fail(f"{path.name} was accepted")


def _mutations(tmp: Path) -> list[tuple[Path, str]]:
    """(file, field the message must name) for every numeric field of the shipped scenarios."""
    corpus = []
    for name in MUTATED:
        data, fields = _resolved(name)
        for key, default in fields:
            negative_allowed = (not isinstance(default, list)) and default < 0
            values = BAD_VALUES + ([] if negative_allowed else [("-1", -1)])
            for label, bad in values:
                copy = _copy(data)
                _set(copy, key, bad)
                path = tmp / f"{name}__{key}__{label}.toml"
                path.write_text(_dump(copy), encoding="utf-8")
                corpus.append((path, key))
    return corpus


def _copy(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _copy(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_copy(v) for v in data]
    return data


def _dump(data: dict[str, Any]) -> str:
    return tomli_w.dumps(data)


def test_every_bad_value_in_every_numeric_field_is_refused_naming_file_and_field(
    tmp_path: Path,
) -> None:
    start = time.perf_counter()
    corpus = _mutations(tmp_path)
    assert len(corpus) >= 600
    unnamed = []
    for path, key in corpus:
        message = _refusal(path)
        if str(path) not in message or f"'{key}" not in message:
            unnamed.append((path.name, message[:200]))
    assert not unnamed, unnamed[:5]
    assert time.perf_counter() - start < 120  # about 30 s on one core


def _text(name: str) -> bytes:
    return (ROOT / "scenarios" / f"{name}.toml").read_bytes()


def _corruptions() -> list[tuple[str, bytes, str]]:
    """(label, bytes, a phrase the message must hold) for byte-level damage."""
    cases = []
    for name in SHIPPED:
        raw = _text(name)
        cases += [
            (f"{name}-gzip", gzip.compress(raw), "gzip"),
            (f"{name}-utf16", raw.decode().encode("utf-16"), "UTF-16"),
            (f"{name}-utf16be", b"\xfe\xff" + raw.decode().encode("utf-16-be"), "UTF-16"),
            (f"{name}-latin1", raw + "\n# café\n".encode("latin-1"), "not UTF-8"),
            (f"{name}-nul", raw[:40] + b"\x00" + raw[40:], "binary"),
            (f"{name}-ff", raw[:60] + b"\xff" + raw[60:], "not UTF-8"),
            (f"{name}-binary", bytes(range(256)) * 4, "binary"),
            (f"{name}-arrays", raw + b"\ndeep = " + b"[" * 5000 + b"]" * 5000, "nested"),
            (f"{name}-tables", raw + b"\ndeep = " + b"{a = " * 600 + b"1" + b"}" * 600, "nested"),
            (f"{name}-digits", raw + b"\n[run]\n", "not valid TOML"),
            (f"{name}-huge", raw + b"#" * 2_000_000, "bytes"),
        ]
    cases += [
        ("digits", b"[run]\nyears = " + b"9" * 5000 + b"\n", "digits"),
        ("digits-seed", b"[run]\nseed = " + b"9" * 400 + b"\n", "run.seed"),
        (
            "twice",
            b"[choice]\ninertia = 1.0\ninertia = 2.0\n",
            "field 'choice.inertia' is given twice",
        ),
        ("twice-table", b"[choice]\ninertia = 1.0\n[choice]\n", "twice"),
        ("deep-list", b"[conditions]\ncondition_weights = [[[[1]]]]\n", "condition_weights"),
        ("crlf-bad", b"[choice]\r\ninertia = true\r\n", "choice.inertia"),
    ]
    return cases


@pytest.mark.parametrize(("label", "raw", "phrase"), _corruptions(), ids=lambda c: str(c)[:20])
def test_damaged_bytes_are_refused_with_a_message(
    tmp_path: Path, label: str, raw: bytes, phrase: str
) -> None:
    path = tmp_path / f"{label}.toml"
    path.write_bytes(raw)
    message = _refusal(path)
    assert str(path) in message
    assert phrase in message, message


@pytest.mark.parametrize("name", SHIPPED)
def test_a_truncated_file_is_refused_or_read_as_the_shorter_file_it_is(
    tmp_path: Path, name: str
) -> None:
    raw = _text(name)
    for cut in range(7, len(raw), max(1, len(raw) // 40)):
        path = tmp_path / f"{name}-{cut}.toml"
        path.write_bytes(raw[:cut])
        try:
            load_scenario(path)
        except ScenarioError as err:
            assert str(path) in str(err)
