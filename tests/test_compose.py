"""docker-compose.yml and the Dockerfile: the services, their health, and no secret in the file.

No Docker engine is needed: the file is read with PyYAML, and also checked by
``docker compose config`` (or the older ``docker-compose config``) when one is installed, which
validates it without an engine.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
ENV_EXAMPLE = (ROOT / ".env.example").read_text()
#: environment variables that hold secrets: only ever ${VAR} references in the compose file
SECRETS = ("ERM_NEO4J_PASSWORD", "ERM_DB_PASSWORD")


def env_of(service: str) -> dict[str, str]:
    env = SERVICES[service].get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def test_the_three_services():
    assert set(SERVICES) == {"neo4j", "app", "falkordb"}
    assert SERVICES["neo4j"]["image"].startswith("neo4j:5")
    assert SERVICES["falkordb"]["image"].startswith("falkordb/falkordb")
    assert SERVICES["app"]["build"] in (".", {"context": "."})


def test_the_falkordb_server_is_optional():
    assert SERVICES["falkordb"].get("profiles") == ["falkordb"]
    assert not SERVICES["neo4j"].get("profiles") and not SERVICES["app"].get("profiles")


def test_every_service_has_a_healthcheck():
    # one test, not parametrized: an id "neo4j" would mark it as needing a live Neo4j
    for name, service in SERVICES.items():
        check = service.get("healthcheck")
        assert check, f"{name} has no healthcheck"
        assert check["test"][0] in ("CMD", "CMD-SHELL") and len(check["test"]) > 1
        assert all(check.get(key) for key in ("interval", "timeout", "retries")), name


def test_the_app_waits_for_a_healthy_neo4j():
    assert SERVICES["app"]["depends_on"] == {"neo4j": {"condition": "service_healthy"}}
    env = env_of("app")
    assert "bolt://neo4j:7687" in env["ERM_DB"]
    assert env["ERM_NEO4J_PASSWORD"].startswith("${ERM_NEO4J_PASSWORD")


def test_data_lives_in_named_volumes():
    declared = set(COMPOSE["volumes"])
    for service, path in (("neo4j", "/data"), ("falkordb", "/var/lib/falkordb/data")):
        mounts = {target: source for source, target in
                  (v.split(":", 1) for v in SERVICES[service]["volumes"])}
        assert mounts[path] in declared, f"{service}: {path} is not on a named volume"


def test_ports_are_published_on_loopback_only():
    for name, service in SERVICES.items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} to every host"


def test_no_secret_is_written_in_the_file():
    text = (ROOT / "docker-compose.yml").read_text()
    # a secret variable is only ever read from the environment (.env): no default but empty
    for secret in SECRETS:
        for ref in re.findall(r"\$\{" + secret + r"([^}]*)\}", text):
            assert ref in ("", ":-") or ref.startswith(":?"), f"${{{secret}{ref}}} has a default"
    assert env_of("neo4j")["NEO4J_AUTH"] == (
        "neo4j/${ERM_NEO4J_PASSWORD:?set ERM_NEO4J_PASSWORD in .env}")
    for service in SERVICES:
        for key, value in env_of(service).items():
            if re.search("PASSWORD|SECRET|TOKEN|AUTH", key) and "$" not in value:
                pytest.fail(f"{service}: {key} holds a literal value")
    assert not re.search(r"requirepass\s+[^$\s]", text)


def test_env_example_lists_every_variable_the_file_reads():
    text = (ROOT / "docker-compose.yml").read_text()
    used = set(re.findall(r"(?<!\$)\$\{([A-Z0-9_]+)", text))
    assert used
    missing = [v for v in sorted(used) if not re.search(rf"^#?\s*{v}=", ENV_EXAMPLE, re.M)]
    assert missing == []
    assert ".env" in (ROOT / ".gitignore").read_text().split()


def test_the_dockerfile_installs_the_checkout_and_runs_erm_serve():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^RUN pip install (-e )?(\.|/src)", dockerfile, re.M)
    cmd = [line for line in dockerfile.splitlines() if line.startswith("CMD")]
    assert len(cmd) == 1
    args = yaml.safe_load(cmd[0][3:])  # the exec form is a JSON list
    assert args[:2] == ["erm", "serve"]
    assert args[args.index("--host") + 1] == "0.0.0.0" and "--port" in args
    assert re.search(r"^USER (?!root)", dockerfile, re.M), "the app should not run as root"
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".env" in ignored and ".venv" in ignored


def compose_command() -> list[str] | None:
    if shutil.which("docker") and subprocess.run(
            ["docker", "compose", "version"], capture_output=True, check=False).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def test_docker_compose_config_accepts_the_file(tmp_path):
    command = compose_command()
    if command is None:
        pytest.skip("neither `docker compose` (the compose plugin) nor `docker-compose` is "
                    "installed; the PyYAML checks above still ran")
    env = tmp_path / "test.env"
    env.write_text("ERM_NEO4J_PASSWORD=test-only\nERM_DB_PASSWORD=test-only-too\n")
    base = [*command, "--env-file", str(env), "-f", str(ROOT / "docker-compose.yml")]
    done = subprocess.run([*base, "config"], capture_output=True, text=True, cwd=ROOT,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    resolved = yaml.safe_load(done.stdout)
    assert {"neo4j", "app"} <= set(resolved["services"])
    assert resolved["services"]["app"]["depends_on"]["neo4j"]["condition"] == "service_healthy"
    # without the passwords the file refuses to resolve, naming what to set
    empty = tmp_path / "empty.env"
    empty.write_text("")
    done = subprocess.run([*command, "--env-file", str(empty), "-f",
                           str(ROOT / "docker-compose.yml"), "config"], capture_output=True,
                          text=True, cwd=ROOT, timeout=60, check=False,
                          env={k: v for k, v in os.environ.items() if k not in SECRETS})
    assert done.returncode != 0 and "in .env" in done.stdout + done.stderr
