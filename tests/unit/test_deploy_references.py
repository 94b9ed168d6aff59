"""Every repository path the deployment files mention exists (issue 15: docker-compose.yml
pointed to a deploy/OPERATIONS.md that did not exist)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TOP_DIRS = ("deploy", "service", "schemas", "scripts", "docs", "bench", "tests")
# a path inside the repository: starts at a top-level folder (optionally "./"), not inside a
# longer path such as a container's /app/schemas
PATH_RE = re.compile(
    rf"(?<![\w/.-])(?:\./)?((?:{'|'.join(TOP_DIRS)})/[\w.-]+(?:/[\w.-]+)*)"
    r"|(?<![\w/.-])([A-Z][A-Z_]+\.md)\b"
)


def deploy_files() -> list[Path]:
    files = [REPO / "docker-compose.yml"]
    files += [
        p
        for p in sorted((REPO / "deploy").rglob("*"))
        if p.is_file() and p.suffix not in {".json", ".jar"} and ".cache" not in p.parts
    ]
    return [p for p in files if p.exists()]


def referenced(path: Path) -> set[str]:
    text = path.read_text(encoding="utf-8", errors="replace")
    found = set()
    for match in PATH_RE.finditer(text):
        ref = (match.group(1) or match.group(2)).rstrip(".,:;")
        if "$" in ref or "*" in ref:
            continue
        found.add(ref)
    return found


def test_the_scan_finds_the_known_references() -> None:
    refs = referenced(REPO / "docker-compose.yml")
    assert "deploy/Dockerfile" in refs and "deploy/newsflow.env" in refs
    assert "deploy/OPERATIONS.md" in refs
    assert "/app/schemas" not in refs and "app/schemas" not in refs


@pytest.mark.parametrize("path", deploy_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_every_referenced_path_exists(path: Path) -> None:
    missing = []
    for ref in sorted(referenced(path)):
        # bare names (alerts.yml beside prometheus.yml, README.md at the root) resolve against
        # the file's own folder, then the repository root
        if not any((base / ref).exists() for base in (REPO, path.parent)):
            missing.append(ref)
    assert not missing, f"{path.relative_to(REPO)} mentions missing files: {missing}"


def test_prometheus_rule_files_exist() -> None:
    yaml = pytest.importorskip("yaml", reason="needs pyyaml (the dev extra)")
    folder = REPO / "deploy" / "prometheus"
    config = yaml.safe_load((folder / "prometheus.yml").read_text(encoding="utf-8"))
    assert config["rule_files"]
    for name in config["rule_files"]:
        assert (folder / name).exists(), name
