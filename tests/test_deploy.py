"""The files in deploy/ work as shipped: the gunicorn config checks the settings, the units run real commands,
the example environment is what production reads. (nginx and the whole stack: tests/deployed/.)"""
from __future__ import annotations

import configparser
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
VENV_BIN = Path(sys.executable).parent
INSTALL_DIR = "/srv/weerbaar"


def _gunicorn(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(VENV_BIN / "gunicorn"), "-c", str(DEPLOY / "gunicorn.conf.py"),
                           "--bind", "127.0.0.1:0", *args],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)


def _production_env(**settings: str) -> dict[str, str]:
    return {"PATH": os.environ["PATH"], "FLASK_CONFIG": "production", "SECRET_KEY": "deploy-test-secret",
            "DATABASE_URL": "sqlite://", **settings}


def test_gunicorn_with_several_workers_and_memory_rate_limits_refuses_to_start() -> None:
    result = _gunicorn(_production_env(RATELIMIT_STORAGE_URI="memory://"), "--workers", "2")
    assert result.returncode != 0
    assert "RATELIMIT_STORAGE_URI=memory:// with 2 web workers" in result.stderr
    assert "Booting worker" not in result.stderr  # refused in the master, before any worker started


def test_gunicorn_counts_the_workers_from_web_concurrency() -> None:
    result = _gunicorn(_production_env(RATELIMIT_STORAGE_URI="memory://", WEB_CONCURRENCY="3"))
    assert result.returncode != 0 and "with 3 web workers" in result.stderr


def test_gunicorn_refuses_production_without_a_secret() -> None:
    env = _production_env(RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0")
    del env["SECRET_KEY"]
    result = _gunicorn(env)
    assert result.returncode != 0 and "SECRET_KEY must be set in production" in result.stderr


def _example_settings() -> dict[str, str]:
    lines = (DEPLOY / "weerbaar.env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def test_every_setting_in_the_example_environment_is_read_by_the_app() -> None:
    sources = "\n".join(path.read_text() for path in [ROOT / "config.py", DEPLOY / "gunicorn.conf.py"])
    read = set(re.findall(r'environ(?:\.get)?[\[(]"([A-Z0-9_]+)"', sources)) | {"FLASK_APP"}
    assert set(_example_settings()) - read == set()


def test_the_example_environment_passes_the_production_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    from config import ProductionConfig

    for name, value in _example_settings().items():
        monkeypatch.setenv(name, value)
    ProductionConfig.check()


def _units() -> list[Path]:
    return sorted((DEPLOY / "systemd").glob("*.service"))


def test_there_is_a_unit_for_the_web_app_the_worker_and_each_timer() -> None:
    names = {path.name for path in (DEPLOY / "systemd").iterdir()}
    assert {"weerbaar-web.service", "weerbaar-worker@.service"} <= names
    for job in ["events-tick", "campaigns-tick", "privacy-purge"]:
        assert {f"weerbaar-{job}.service", f"weerbaar-{job}.timer"} <= names


@pytest.mark.parametrize("unit", _units(), ids=lambda path: path.name)
def test_each_unit_starts_a_command_that_exists(unit: Path) -> None:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.read(unit)
    service = parser["Service"]
    assert service["EnvironmentFile"] == "/etc/weerbaar/weerbaar.env"
    assert service["WorkingDirectory"] == INSTALL_DIR
    command = shlex.split(service["ExecStart"].replace(INSTALL_DIR, str(ROOT)).replace(str(ROOT / ".venv/bin"),
                                                                                      str(VENV_BIN)))
    assert Path(command[0]).exists(), command
    if command[0].endswith("gunicorn"):
        assert Path(command[command.index("-c") + 1]).exists()
        return
    env = {"PATH": os.environ["PATH"], "FLASK_APP": "app:create_app", "FLASK_CONFIG": "testing"}
    result = subprocess.run([*command, "--help"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
