"""The deployment files are well-formed and say what the operations guide promises."""
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import yaml
from support import free_port

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def test_kubernetes_manifests():
    docs = {d["kind"] + "/" + d["metadata"]["name"]: d
            for d in yaml.safe_load_all((DEPLOY / "k8s" / "idbeheer.yaml").read_text())}
    web = docs["Deployment/idbeheer-web"]["spec"]["template"]["spec"]["containers"][0]
    assert web["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert web["livenessProbe"]["httpGet"]["path"] == "/healthz"
    cron = docs["CronJob/idbeheer-notify-expiring"]["spec"]
    assert cron["concurrencyPolicy"] == "Forbid"
    assert cron["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["command"] == [
        "idbeheer", "notify-expiring"]
    assert docs["Job/idbeheer-migrate"]["spec"]["template"]["spec"]["containers"][0]["command"][-2:] == [
        "db", "upgrade"]
    secret = docs["Secret/idbeheer"]["stringData"]
    assert all("CHANGE-ME" in v or v.startswith(("redis://", "smtp")) for v in secret.values())


def test_compose_stack_has_the_four_parts():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    assert {"postgres", "redis", "web", "nginx", "notify", "migrate"} <= set(compose["services"])
    assert compose["services"]["web"]["deploy"]["replicas"] >= 2


@pytest.mark.slow  # starts gunicorn
def test_gunicorn_config_loads(tmp_path):
    gunicorn = Path(sys.executable).parent / "gunicorn"
    result = subprocess.run([str(gunicorn), "-c", str(DEPLOY / "gunicorn.conf.py"), "--check-config",
                             "idbeheer.wsgi:app"], capture_output=True, text=True, timeout=120,
                            env={"PATH": "/usr/bin:/bin", "IDBEHEER_MODE": "demo",
                                 "IDBEHEER_HOME": str(tmp_path),
                                 "IDBEHEER_CERTS_DIR": str(tmp_path / "certs"),
                                 "IDBEHEER_METADATA_DIR": str(tmp_path / "metadata")})
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.slow  # runs nginx -t (a subprocess, and a TLS key made with openssl)
def test_nginx_accepts_the_site(tmp_path):
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    assert Path(nginx).exists(), "nginx is missing: scripts/dev.sh test installs nginx-light"
    tls = tmp_path / "tls"
    tls.mkdir()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=idbeheer.example.be", "-keyout", str(tls / "privkey.pem"),
                    "-out", str(tls / "fullchain.pem")], check=True, capture_output=True)
    (tmp_path / "upstream.conf").write_text((DEPLOY / "nginx" / "upstream.host.conf").read_text())
    site = (DEPLOY / "nginx" / "idbeheer.conf").read_text() \
        .replace("/etc/ssl/idbeheer", str(tls)) \
        .replace("/etc/nginx/idbeheer/upstream.conf", str(tmp_path / "upstream.conf"))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log;\n"
        f"events {{}}\nhttp {{ access_log off; include {tmp_path}/site.conf; }}\n")
    result = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.slow  # gunicorn workers serving requests
@pytest.mark.parametrize(("setting", "frozen"), [(None, True), ("0", False)])
def test_gunicorn_workers_freeze_what_the_app_loaded(tmp_path, setting, frozen):
    """post_worker_init moves the loaded app out of the collector's sight (gc.freeze), so a
    full collection during a request walks only what requests allocated (~0.1 ms instead of
    ~70 ms for the all-in-one app's ~135 000 objects)."""
    (tmp_path / "probe.py").write_text(
        "import gc\n"
        "def app(environ, start_response):\n"
        "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
        "    return [str(gc.get_freeze_count()).encode()]\n")
    port = free_port()
    env = {"PATH": "/usr/bin:/bin", "IDBEHEER_BIND": f"127.0.0.1:{port}", "IDBEHEER_WORKERS": "1",
           "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    if setting is not None:
        env["IDBEHEER_GC_FREEZE"] = setting
    server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-c",
                               str(DEPLOY / "gunicorn.conf.py"), "--chdir", str(tmp_path),
                               "probe:app"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                count = int(requests.get(f"http://127.0.0.1:{port}/", timeout=2).text)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        assert (count > 0) is frozen
    finally:
        server.terminate()
        server.wait(20)


def test_every_deployment_brings_the_metrics_token():
    """Production serves /metrics only with IDBEHEER_METRICS_TOKEN: each way to deploy sets it,
    and the guide shows Prometheus sending it."""
    docs = {d["kind"] + "/" + d["metadata"]["name"]: d
            for d in yaml.safe_load_all((DEPLOY / "k8s" / "idbeheer.yaml").read_text())}
    assert "IDBEHEER_METRICS_TOKEN" in docs["Secret/idbeheer"]["stringData"]
    assert "IDBEHEER_METRICS_TOKEN=" in (DEPLOY / "idbeheer.env.example").read_text()
    guide = (DEPLOY / "README.md").read_text()
    assert "IDBEHEER_METRICS_TOKEN" in guide and "authorization: {type: Bearer" in guide
