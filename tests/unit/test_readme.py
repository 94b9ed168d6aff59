"""The README against the code: every setting in its table, every command it shows real.

The README is the user's manual; these checks catch it drifting from service/settings.py,
the CLI, the Makefile and the compose file when either side changes.
"""

from __future__ import annotations

import argparse
import inspect
import os
import re
from pathlib import Path
from typing import Any

import pytest

import service.settings as settings_module
from service import broker
from service.cli import build_parser
from service.settings import Settings

yaml = pytest.importorskip("yaml", reason="needs pyyaml (the dev extra)")

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")
NUMBER_RE = re.compile(r"(?<![\w.])\d[\d_]*(?:\.\d+)?(?![\w.])")


class RecordingEnv(dict[str, str]):
    """An empty environment that remembers which variables were asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.asked.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> str:
        self.asked.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            self.asked.add(key)
        return super().__contains__(key)


class OsWithEnv:
    """The `os` module as settings.py sees it, with a recording environment."""

    def __init__(self, env: RecordingEnv) -> None:
        self.environ, self.getenv = env, env.get

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)


def variables_read_by_settings(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    env = RecordingEnv()
    monkeypatch.setattr(settings_module, "os", OsWithEnv(env))
    Settings.from_env()
    return env.asked


def section(title: str) -> str:
    match = re.search(rf"(?ms)^## {re.escape(title)}\n(.*?)(?=^## )", README)
    assert match, f"README has no '## {title}' section"
    return match.group(1)


def configuration_rows() -> dict[str, str]:
    """Variable name -> its default cell, from the Configuration table."""
    rows: dict[str, str] = {}
    for line in section("Configuration").splitlines():
        if not line.startswith("| `"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", cells[0]):
            rows[name] = cells[1]
    return rows


def field_of_variable() -> dict[str, str]:
    """Variable name -> Settings field, where from_env reads it with the field's default."""
    source = inspect.getsource(Settings.from_env)
    pairs = re.findall(r'(\w+)=_\w+\(\s*"([A-Z][A-Z0-9_]+)",\s*d\.(\w+)\)', source)
    return {name: fld for fld, name, default_fld in pairs if fld == default_fld}


def test_every_setting_is_in_the_configuration_table(monkeypatch: pytest.MonkeyPatch) -> None:
    read = variables_read_by_settings(monkeypatch)
    rows = configuration_rows()
    assert len(read) >= 30  # the recorder saw the variables, not an empty list
    missing = sorted(read - rows.keys())
    assert not missing, f"README configuration table lacks {missing}"
    assert all(rows[name].strip() for name in read), "a variable has no default in the table"


def test_configuration_table_shows_the_code_defaults() -> None:
    rows, defaults = configuration_rows(), Settings()
    checked = 0
    for name, fld in field_of_variable().items():
        value, cell = getattr(defaults, fld), rows[name]
        if isinstance(value, bool):
            continue
        if isinstance(value, (int, float)):
            shown = {float(n.replace("_", "")) for n in NUMBER_RE.findall(cell.replace(",", ""))}
            assert float(value) in shown, f"{name}: default {value}, README says {cell!r}"
        elif isinstance(value, str) and value:
            assert f"`{value}`" in cell, f"{name}: default {value!r}, README says {cell!r}"
        else:
            continue
        checked += 1
    assert checked >= 20


def code_lines() -> list[str]:
    """Inline code spans and the lines of fenced code blocks."""
    blocks = re.findall(r"(?ms)^```\w*\n(.*?)^```", README)
    prose = re.sub(r"(?ms)^```\w*\n.*?^```", "", README)
    return [ln for b in blocks for ln in b.splitlines()] + re.findall(r"`([^`\n]+)`", prose)


def subcommand_options() -> dict[str, set[str]]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    options = {
        name: {o for a in p._actions for o in a.option_strings} for name, p in sub.choices.items()
    }
    return options


def broker_options(capsys: pytest.CaptureFixture[str]) -> set[str]:
    with pytest.raises(SystemExit):
        broker.main(["--help"])
    return set(re.findall(r"--[a-z][a-z-]*", capsys.readouterr().out))


def test_every_newsflow_command_in_the_readme_exists(capsys: pytest.CaptureFixture[str]) -> None:
    options = subcommand_options()
    options["broker"] |= broker_options(capsys)
    seen = 0
    for line in code_lines():
        for match in re.finditer(r"(?:^|[\s/])newsflow ([a-z][a-z-]*)([^|;&]*)", line):
            command, rest = match.group(1), match.group(2)
            assert command in options, f"README shows `newsflow {command}`: no such command"
            for flag in re.findall(r"(?<![\w-])--[a-z][a-z-]*", rest):
                assert flag in options[command], f"`newsflow {command}` has no {flag}"
            seen += 1
    assert seen >= 10


def test_make_targets_and_compose_profiles_in_the_readme_exist() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"(?m)^([a-z][a-z-]*):", makefile))
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
    profiles = {p for s in compose["services"].values() for p in s.get("profiles", [])}
    lines = code_lines()
    made = {t for ln in lines for t in re.findall(r"\bmake ([a-z][a-z-]*)", ln)}
    used = {p for ln in lines for p in re.findall(r"--profile (\S+)", ln)}
    scaled = {s for ln in lines for s in re.findall(r"--scale (\w+)=", ln)}
    assert {"run", "test", "check"} <= made
    assert made <= targets, f"README shows make targets the Makefile lacks: {made - targets}"
    assert used and used <= profiles, f"README shows unknown compose profiles: {used - profiles}"
    assert scaled and scaled <= compose["services"].keys()
