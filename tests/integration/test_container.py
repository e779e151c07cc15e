"""The container path, checked without a Docker engine: the compose file
parses, both renderings of the one nginx.conf pass nginx -t, and every
variable the programs read is set for them in compose and documented in the
README. (Nothing here starts a container: no engine on these machines.)"""

import os
import re
import subprocess

import pytest

from conftest import BUILD, ROOT


def program_vars():
    out = subprocess.run([str(BUILD / "esports-consumer"), "--help-config"], capture_output=True,
                         text=True, check=True).stdout
    return [line.split()[0] for line in out.splitlines()[1:] if line.strip()]


@pytest.fixture(scope="module")
def compose(tmp_path_factory):
    env = tmp_path_factory.mktemp("compose") / ".env"
    env.write_text((ROOT / ".env.example").read_text())
    r = subprocess.run(["docker-compose", "--env-file", str(env), "-f", str(ROOT / "docker-compose.yml"),
                        "config"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_compose_file_is_valid(tmp_path):
    env = tmp_path / ".env"
    env.write_text((ROOT / ".env.example").read_text())
    r = subprocess.run(["docker-compose", "--env-file", str(env), "-f", str(ROOT / "docker-compose.yml"),
                        "config", "-q"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr


def test_compose_refuses_to_run_without_secrets(tmp_path):
    empty = tmp_path / ".env"
    empty.write_text("")
    r = subprocess.run(["docker-compose", "--env-file", str(empty), "-f", str(ROOT / "docker-compose.yml"),
                        "config", "-q"], capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    assert "set MARIADB_ROOT_PASSWORD in .env" in r.stderr or "PASSWORD" in r.stderr


def service_env(compose_text, service):
    """The environment block of service in `docker-compose config` output."""
    lines = compose_text.splitlines()
    start = lines.index(f"  {service}:")
    env, inside = {}, False
    for line in lines[start + 1:]:
        if re.match(r"^  \S", line):
            break
        if line == "    environment:":
            inside = True
            continue
        if inside:
            m = re.match(r"^      (\w+): (.*)$", line)
            if not m:
                break
            env[m.group(1)] = m.group(2)
    return env


@pytest.mark.parametrize("service", ["app", "consumer", "migrate"])
def test_every_variable_is_set_for_the_programs(compose, service):
    env = service_env(compose, service)
    missing = [v for v in program_vars() if v not in env]
    assert not missing, f"{service} lacks {missing}"


def test_every_variable_is_documented():
    readme = (ROOT / "README.md").read_text()
    missing = [v for v in program_vars() if f"| `{v}` |" not in readme]
    assert not missing, missing


@pytest.mark.parametrize("rendering", ["local", "container"])
def test_both_renderings_pass_nginx_t(tmp_path, rendering):
    run = tmp_path / "run"
    (run / "nginx-tmp").mkdir(parents=True)
    env = dict(os.environ)
    if rendering == "local":
        args = [str(run), "127.0.0.1:18999", f"unix:{run}/fcgi.sock", str(ROOT / "static")]
        env.update(NCHAN_PORT="18998")
    else:
        # as docker-compose renders it, but for the upstream: "app" resolves only
        # inside the compose network, so the check uses an address that resolves here;
        # and nchan's publisher on a port of ours, since 8081 may be taken here
        args = [str(run), "80", "127.0.0.1:9000", "/srv/static"]
        env.update(NCHAN_PORT="18997", NCHAN_LISTEN="127.0.0.1:18997",
                   NCHAN_ALLOW="10.0.0.0/8 172.16.0.0/12 192.168.0.0/16")
    conf = run / "nginx.conf"
    with open(ROOT / "nginx.conf") as src, open(conf, "w") as dst:
        subprocess.run([str(ROOT / "tools" / "render-nginx"), *args], stdin=src, stdout=dst,
                       check=True, env=env)
    text = conf.read_text()
    assert not re.search(r"@[A-Z_]+@", re.sub(r"#.*", "", text))  # every placeholder filled
    if os.path.exists("/usr/lib/nginx/modules/ngx_nchan_module.so"):
        assert "nchan_publisher http;" in text and "location = /live/matches" in text
    r = subprocess.run(["nginx", "-t", "-q", "-c", str(conf), "-p", str(run)], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    compose = (ROOT / "docker-compose.yml").read_text()
    assert "render-nginx /var/run/esports 80 app:9000 /srv/static" in compose


def test_gateway_errors_are_json(stack):
    stack.stack("down", "fcgi")
    try:
        r = stack.get("/api/matches/")
        assert r.status_code == 502
        assert r.headers["Content-Type"] == "application/json"
        assert r.json() == {"detail": "The application is unavailable, try again shortly."}
    finally:
        stack.stack("up", "fcgi")
    assert stack.get("/healthz").status_code == 200
