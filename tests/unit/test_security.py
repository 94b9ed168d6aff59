"""Broker credentials from the environment (SASL PLAIN/SCRAM, TLS); the password never leaks."""

from __future__ import annotations

import asyncio
import io
import logging
import logging.config
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import faust
import pytest

from service.app import broker_credentials, create_app
from service.broker import free_port
from service.kafka_io import client_options
from service.logs import JsonFormatter
from service.settings import Settings

PASSWORD = "s3cr3t-Pa55word-do-not-log"
CERT_DIR_ENV = ("KAFKA_SSL_CAFILE", "KAFKA_SSL_CERTFILE", "KAFKA_SSL_KEYFILE")


def settings_from(monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings.from_env()


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A self-signed CA certificate and a client key pair (openssl), as file paths."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl not installed")
    d = tmp_path_factory.mktemp("certs")
    key, cert = d / "client.key", d / "client.pem"
    subject = ["-subj", "/CN=newsflow-test", "-keyout", str(key), "-out", str(cert)]
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", *subject],
        check=True,
        capture_output=True,
    )
    return {
        "KAFKA_SSL_CAFILE": str(cert),
        "KAFKA_SSL_CERTFILE": str(cert),
        "KAFKA_SSL_KEYFILE": str(key),
    }


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
def test_sasl_credentials(monkeypatch: pytest.MonkeyPatch, mechanism: str) -> None:
    s = settings_from(
        monkeypatch,
        KAFKA_SECURITY_PROTOCOL="SASL_PLAINTEXT",
        KAFKA_SASL_MECHANISM=mechanism,
        KAFKA_SASL_USERNAME="newsflow",
        KAFKA_SASL_PASSWORD=PASSWORD,
    )
    creds = broker_credentials(s)
    assert isinstance(creds, faust.SASLCredentials)
    assert creds.mechanism.value == mechanism
    assert (creds.username, creds.password) == ("newsflow", PASSWORD)
    assert PASSWORD not in repr(creds)
    opts = client_options(s)
    assert opts["security_protocol"] == "SASL_PLAINTEXT"
    assert opts["sasl_mechanism"] == mechanism
    assert (opts["sasl_plain_username"], opts["sasl_plain_password"]) == ("newsflow", PASSWORD)
    assert "ssl_context" not in opts


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-512"])
def test_sasl_over_tls(
    monkeypatch: pytest.MonkeyPatch, certs: dict[str, str], mechanism: str
) -> None:
    s = settings_from(
        monkeypatch,
        KAFKA_SECURITY_PROTOCOL="SASL_SSL",
        KAFKA_SASL_MECHANISM=mechanism,
        KAFKA_SASL_USERNAME="newsflow",
        KAFKA_SASL_PASSWORD=PASSWORD,
        KAFKA_SSL_CAFILE=certs["KAFKA_SSL_CAFILE"],
    )
    creds = broker_credentials(s)
    assert isinstance(creds, faust.SASLCredentials)
    assert isinstance(creds.ssl_context, ssl.SSLContext)
    assert creds.ssl_context.verify_mode == ssl.CERT_REQUIRED
    assert creds.ssl_context.check_hostname
    opts = client_options(s)
    assert opts["security_protocol"] == "SASL_SSL"
    assert isinstance(opts["ssl_context"], ssl.SSLContext)


def test_tls_with_client_certificate(
    monkeypatch: pytest.MonkeyPatch, certs: dict[str, str]
) -> None:
    s = settings_from(monkeypatch, KAFKA_SECURITY_PROTOCOL="SSL", **certs)
    creds = broker_credentials(s)
    assert isinstance(creds, faust.SSLCredentials)
    assert isinstance(creds.context, ssl.SSLContext)
    assert creds.context.verify_mode == ssl.CERT_REQUIRED
    opts = client_options(s)
    assert opts["security_protocol"] == "SSL"
    assert isinstance(opts["ssl_context"], ssl.SSLContext)
    assert "sasl_mechanism" not in opts


def test_plaintext_has_no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    s = settings_from(monkeypatch, KAFKA_SECURITY_PROTOCOL="PLAINTEXT")
    assert broker_credentials(s) is None
    assert set(client_options(s)) == {"bootstrap_servers"}


def test_password_not_in_settings_repr_or_str(monkeypatch: pytest.MonkeyPatch) -> None:
    s = settings_from(
        monkeypatch,
        KAFKA_SECURITY_PROTOCOL="SASL_SSL",
        KAFKA_SASL_MECHANISM="SCRAM-SHA-256",
        KAFKA_SASL_USERNAME="newsflow",
        KAFKA_SASL_PASSWORD=PASSWORD,
    )
    assert PASSWORD not in repr(s)
    assert PASSWORD not in str(s)
    assert PASSWORD not in f"{s.sasl_password}"
    assert PASSWORD not in "%s %r" % (s.sasl_password, s.sasl_password)  # noqa: UP031
    assert s.sasl_password.reveal() == PASSWORD


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    """Every log record of every logger at DEBUG, formatted as the worker does (JSON lines)."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    saved = (root.level, {n: logging.getLogger(n).level for n in ("aiokafka", "faust", "mode")})
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for name in saved[1]:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield out
    finally:
        root.removeHandler(handler)
        root.setLevel(saved[0])
        for name, level in saved[1].items():
            logging.getLogger(name).setLevel(level)


def test_password_not_logged_when_connecting(
    monkeypatch: pytest.MonkeyPatch, captured_logs: io.StringIO, tmp_path: Path
) -> None:
    """Build the Faust app and try a SASL connection (to a closed port) with DEBUG logging on
    everywhere, logging the settings too: the password must appear in no log line."""
    from aiokafka import AIOKafkaProducer
    from aiokafka.errors import KafkaConnectionError

    s = settings_from(
        monkeypatch,
        KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{free_port()}",
        KAFKA_SECURITY_PROTOCOL="SASL_PLAINTEXT",
        KAFKA_SASL_MECHANISM="SCRAM-SHA-512",
        KAFKA_SASL_USERNAME="newsflow",
        KAFKA_SASL_PASSWORD=PASSWORD,
        NEWSFLOW_DATA_DIR=str(tmp_path),
    )
    log = logging.getLogger("newsflow.test")
    log.info("settings: %s", s)
    log.info("settings repr: %r", s, extra={"settings": s, "password": s.sasl_password})
    c = create_app(s)
    log.debug("app conf: %r", c.app.conf.broker_credentials)

    async def connect() -> None:
        producer = AIOKafkaProducer(**client_options(s), request_timeout_ms=2000)
        try:
            await producer.start()
        except KafkaConnectionError as exc:
            log.warning("connect failed: %s", exc)
        finally:
            await producer.stop()

    asyncio.run(connect())
    text = captured_logs.getvalue()
    assert "connect failed" in text and "newsflow.test" in text
    assert PASSWORD not in text


def test_env_names_are_documented() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "SECURITY.md").read_text()
    for name in (
        "KAFKA_SECURITY_PROTOCOL",
        "KAFKA_SASL_MECHANISM",
        "KAFKA_SASL_USERNAME",
        "KAFKA_SASL_PASSWORD",
        *CERT_DIR_ENV,
        "NEWSFLOW_MAX_MESSAGE_BYTES",
        "NEWSFLOW_MAX_BODY_CHARS",
    ):
        assert name in doc, name
