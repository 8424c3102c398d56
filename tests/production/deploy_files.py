"""deploy/ as a test machine runs it: the nginx site on 127.0.0.1 ports with a self-signed certificate."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.reliability.harness import REPOSITORY_DIR

NGINX = "/usr/sbin/nginx"
DEPLOY_DIR = REPOSITORY_DIR / "deploy"


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    certificate, key = directory / "fullchain.pem", directory / "privkey.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),  # noqa: S603, S607
                    "-out", str(certificate), "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True, timeout=60)
    return certificate, key


def nginx_configuration(directory: Path, *, http_port: int, https_port: int, upstream_port: int,
                        static_root: Path) -> Path:
    """deploy/nginx/zhili.conf with only its machine-specific paths and ports replaced, inside a main file."""
    certificate, key = self_signed_certificate(directory)
    site = (DEPLOY_DIR / "nginx" / "zhili.conf").read_text(encoding="utf-8")
    replacements = {
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{upstream_port};",
        "/etc/zhili/tls/fullchain.pem": str(certificate),
        "/etc/zhili/tls/privkey.pem": str(key),
        "/srv/zhili/var/static/": f"{static_root}/",
        "/var/log/nginx/": f"{directory}/",
    }
    for old, new in replacements.items():
        assert old in site, f"deploy/nginx/zhili.conf no longer contains {old!r}"
        site = site.replace(old, new)
    (directory / "site.conf").write_text(site, encoding="utf-8")
    main = directory / "nginx.conf"
    # test machine only: workers as root can read the pytest temporary directory (mode 700)
    main.write_text(f"""user root;
worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/nginx-error.log;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    access_log {directory}/nginx-access.log;
    client_body_temp_path {directory}/body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
    include {directory}/site.conf;
}}
""", encoding="utf-8")
    return main


def systemd_units(directory: Path) -> list[Path]:
    """deploy/systemd with this checkout in place of /srv/zhili (systemd-analyze checks the programs exist)."""
    environment_file = directory / "zhili.env"
    environment_file.write_text("", encoding="utf-8")
    units = []
    for unit in sorted((DEPLOY_DIR / "systemd").glob("*.service")):
        text = unit.read_text(encoding="utf-8").replace("/srv/zhili", str(REPOSITORY_DIR)).replace(
            "/etc/zhili/zhili.env", str(environment_file))
        name = unit.name.replace("@.service", "@1.service")  # a template is verified through an instance
        (directory / name).write_text(text, encoding="utf-8")
        units.append(directory / name)
    return units
