"""The foundation: health through nginx, database outage, migrations, the
stack script's own guarantees, configuration errors."""

import shutil
import socket
import subprocess

from conftest import BUILD, ROOT, health, wait_until


def test_healthz_ok_through_nginx(stack):
    code, body = wait_until(lambda: (lambda h: h if h[1]["status"] == "ok" else None)(health(stack)),
                            timeout=30, what="healthz status ok")
    assert code == 200
    assert body["database"] == "ok"
    assert body["broker"] == "connected"
    assert body["consumer"]["state"] == "running"
    assert isinstance(body["consumer"]["pid"], int)
    r = stack.get("/healthz")
    assert r.headers["Content-Type"] == "application/json; charset=utf-8"
    assert r.headers["Cache-Control"] == "no-store"


def test_healthz_follows_the_database(stack):
    stack.stack("down", "mariadb")
    try:
        code, body = wait_until(lambda: (lambda h: h if h[0] == 503 else None)(health(stack)),
                                timeout=30, what="healthz 503")
        assert body["status"] == "unavailable"
        assert body["database"] == "unavailable"
    finally:
        stack.stack("up", "mariadb")
    code, body = wait_until(lambda: (lambda h: h if h[0] == 200 else None)(health(stack)),
                            timeout=30, what="healthz 200 again")
    assert body["database"] == "ok"
    # the consumer reconnects too and reports in again
    wait_until(lambda: health(stack)[1]["status"] == "ok", timeout=60, what="consumer back")


def test_method_not_allowed_and_unknown_path(stack):
    r = stack.get("/healthz")
    assert r.status_code == 200
    import requests
    r = requests.post(stack.http + "/healthz", data="x", timeout=10)
    assert r.status_code == 405
    assert r.headers["Allow"] == "GET, HEAD"
    assert r.json() == {"detail": "Method not allowed."}
    r = requests.head(stack.http + "/healthz", timeout=10)
    assert r.status_code == 200 and r.content == b""
    r = stack.get("/api/no/such/path")
    assert r.status_code == 404
    assert r.json() == {"detail": "Not found."}
    # outside the API an unknown path is the website's 404 page
    r = stack.get("/no/such/path")
    assert r.status_code == 404 and r.headers["Content-Type"] == "text/html; charset=utf-8"


def run_migrate(stack, *args):
    return subprocess.run([str(BUILD / "migrate"), *args], env=stack.app_env(),
                          capture_output=True, text=True, timeout=60)


def test_migrate_twice_is_a_noop(stack):
    before = stack.sql("SELECT name, checksum, applied_at FROM schema_migrations ORDER BY name")
    r = run_migrate(stack, "--dir", str(ROOT / "migrations"))
    assert r.returncode == 0, r.stderr
    assert "0 applied" in r.stdout
    assert stack.sql("SELECT name, checksum, applied_at FROM schema_migrations ORDER BY name") == before
    r = run_migrate(stack, "--dir", str(ROOT / "migrations"), "--status")
    assert r.returncode == 0
    assert "applied  0001_schema.sql" in r.stdout


def test_edited_migration_is_refused(stack, tmp_path):
    d = tmp_path / "migrations"
    shutil.copytree(ROOT / "migrations", d)
    f = d / "0001_schema.sql"
    f.write_text(f.read_text() + "\n-- an edit after the fact\n")
    r = run_migrate(stack, "--dir", str(d))
    assert r.returncode == 1
    assert "0001_schema.sql was edited after it was applied" in r.stderr


def test_invalid_config_exits_2_naming_the_variable(stack):
    for prog in ("esports-consumer", "esports-fcgi", "migrate"):
        r = subprocess.run([str(BUILD / prog)], env=stack.app_env(MARIADB_PORT="abc"),
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 2, prog
        assert "invalid MARIADB_PORT='abc': expected an integer from 1 to 65535" in r.stderr
    r = subprocess.run([str(BUILD / "esports-consumer")], env=stack.app_env(LOG_LEVEL="loud"),
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2
    assert "LOG_LEVEL" in r.stderr


def test_up_twice_starts_nothing_twice(stack):
    pids = stack.stack("status").stdout
    r = stack.stack("up")
    assert "already running" in r.stderr
    assert stack.stack("status").stdout == pids


def test_port_in_use_is_named(stack, tmp_path):
    # a second stack in another folder whose HTTP port is taken by the first's MariaDB
    r = stack.stack("up", "nginx", check=False,
                    env={"STACK_DIR": str(tmp_path / "other"), "HTTP_PORT": stack.vals["MARIADB_PORT"]})
    assert r.returncode != 0
    assert f"port {stack.vals['MARIADB_PORT']} (HTTP_PORT) is already in use" in r.stderr


def test_bad_stack_setting(stack):
    r = stack.stack("status", check=False, env={"HTTP_PORT": "eighty"})
    assert r.returncode == 2
    assert "invalid HTTP_PORT='eighty'" in r.stderr


def test_listens_on_loopback_only(stack):
    out = subprocess.run(["ss", "-Htln"], capture_output=True, text=True).stdout
    ours = [stack.env[k] for k in ("MARIADB_PORT", "AMQP_PORT", "HTTP_PORT", "RABBITMQ_MGMT_PORT",
                                    "RABBITMQ_DIST_PORT", "EPMD_PORT", "SEARCH_PORT",
                                    "SEARCH_TRANSPORT_PORT")]
    seen = 0
    for line in out.splitlines():
        local = line.split()[3]
        port = local.rsplit(":", 1)[1]
        if port in ours:
            seen += 1
            assert local.startswith(("127.0.0.1:", "[::1]:", "[::ffff:127.0.0.1]:")), line
    assert seen >= 4
    assert socket.create_connection(("127.0.0.1", int(stack.env["HTTP_PORT"])), timeout=5)
