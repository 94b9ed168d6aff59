"""deploy/test/extra_ca.py: the CAs a host trusts beyond a base image's bundle."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "deploy/test/extra_ca.py"


def pem(body: str) -> str:
    return f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n"


def test_prints_only_the_certificates_the_base_lacks(tmp_path: Path) -> None:
    host, base = tmp_path / "host.pem", tmp_path / "base.pem"
    host.write_text(pem("QUFB\nQkJC") + "# comment\n" + pem("Q0ND") + pem("RERE"))
    base.write_text(pem("QUFBQkJC") + pem("  RERE  "))  # same certificates, other wrapping
    out = subprocess.run(
        [sys.executable, str(SCRIPT), str(host), str(base)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.count("BEGIN CERTIFICATE") == 1 and "Q0ND" in out


def test_equal_bundles_have_no_difference() -> None:
    spec = importlib.util.spec_from_file_location("extra_ca", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    bundle = pem("QUFB") + pem("QkJC")
    assert (
        module.certificates(bundle).keys()
        == module.certificates(bundle.replace("\n", "\r\n")).keys()
    )
    assert len(module.certificates(bundle)) == 2
