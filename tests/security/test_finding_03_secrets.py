"""Finding 3: with ZHILI_SECRET_KEY unset the server started on the development key in settings.py, and
the key that encrypts reporters' names and phones was derived from it (a script using only that
string decrypted them); ``check --deploy`` did not warn.

Now: a production installation refuses to serve or migrate without ZHILI_SECRET_KEY and ZHILI_PII_KEY,
naming the variable and the command that generates one; the PII key is never derived from the secret
key (development and tests use a key generated into DATA_DIR); ``zhili personal_data_rekey`` moves an
older installation's rows from the derived key to the configured one.
"""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.reliability.harness import BIN_DIR, REPOSITORY_DIR, collected_static_root
from tests.security.production import documented_environment, production_environment, zhili
from zhili.cases.models import Case
from zhili.cases.personal_data import (
    personal_decrypt,
    personal_encrypt,
    personal_keys_derived_from_secret_key,
    personal_keys_reset,
    phone_lookup_hash,
)
from zhili.cases.tests.factories import World, case_create, world_create
from zhili.core.environment import development_personal_data_key

DEVELOPMENT_SECRET_KEY = "zhili-development-key-not-for-production-use-0123456789abcdef"  # the key in settings.py


@pytest.fixture
def cases_world(db: None) -> World:
    """The cases app's test district (grids, matters M001…), where ``case_create`` files its cases."""
    return world_create()


def test_the_personal_data_key_is_not_derived_from_the_secret_key() -> None:
    token = personal_encrypt("13812345678")
    # the attack of the finding: derive the key from the secret key and decrypt
    assert personal_keys_derived_from_secret_key(settings.SECRET_KEY).decrypt(token) is None
    assert personal_keys_derived_from_secret_key(DEVELOPMENT_SECRET_KEY).decrypt(token) is None
    assert personal_decrypt(token) == "13812345678"


def test_the_development_key_is_generated_once_into_the_data_directory(tmp_path: Path) -> None:
    path = tmp_path / "development-pii.key"
    first = development_personal_data_key(path)
    assert development_personal_data_key(path) == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) == 44
    assert development_personal_data_key(tmp_path / "other" / "development-pii.key") != first
    assert (Path(settings.DATA_DIR) / "development-pii.key").read_text().strip() == settings.ZHILI_PII_KEY


@pytest.mark.parametrize("command", ["migrate", "run_huey", "runserver"])
def test_production_commands_refuse_to_start_without_the_keys(tmp_path: Path, command: str) -> None:
    completed = zhili([command], production_environment(tmp_path, ZHILI_ALLOWED_HOSTS="zhili.example.gov.cn"))
    assert completed.returncode == 2
    assert f"zhili {command} 拒绝启动" in completed.stderr
    assert "ZHILI_SECRET_KEY 未设置" in completed.stderr
    assert "ZHILI_PII_KEY 未设置" in completed.stderr
    assert ".venv/bin/zhili keys_generate" in completed.stderr
    assert not (tmp_path / "zhili.sqlite3").exists()  # migrate did not run


def test_gunicorn_and_any_wsgi_server_refuse_to_start_without_the_keys(tmp_path: Path) -> None:
    environment = production_environment(tmp_path, ZHILI_ALLOWED_HOSTS="zhili.example.gov.cn",
                                         ZHILI_PII_KEY="", PYTHONPATH=str(REPOSITORY_DIR / "src"))
    completed = subprocess.run(  # noqa: S603 - our gunicorn, our configuration; refuses before binding
        [str(BIN_DIR / "gunicorn"), "-c", "python:zhili.config.gunicorn", "--bind", "127.0.0.1:0",
         "zhili.config.wsgi:application"], cwd=REPOSITORY_DIR, env=environment, capture_output=True, text=True,
        timeout=600, check=False)
    assert completed.returncode == 2
    assert "zhili web 拒绝启动" in completed.stderr
    assert "ZHILI_SECRET_KEY 未设置" in completed.stderr
    wsgi = subprocess.run([sys.executable, "-c", "import zhili.config.wsgi"], cwd=REPOSITORY_DIR,
                          env=environment, capture_output=True, text=True, timeout=600, check=False)
    assert wsgi.returncode == 1
    assert "ImproperlyConfigured" in wsgi.stderr
    assert "ZHILI_PII_KEY 未设置" in wsgi.stderr


def test_a_malformed_personal_data_key_is_refused(tmp_path: Path) -> None:
    completed = zhili(["migrate"], production_environment(tmp_path, ZHILI_SECRET_KEY="x" * 50, ZHILI_PII_KEY="short",
                                                          ZHILI_ALLOWED_HOSTS="zhili.example.gov.cn"))
    assert completed.returncode == 2
    assert "ZHILI_PII_KEY 格式不对" in completed.stderr


def test_check_deploy_reports_the_missing_keys(tmp_path: Path) -> None:
    completed = zhili(["check", "--deploy"], production_environment(tmp_path))
    assert completed.returncode == 1
    assert completed.stderr.count("(zhili.E001)") == 3
    for name in ("ZHILI_SECRET_KEY", "ZHILI_PII_KEY", "ZHILI_ALLOWED_HOSTS"):
        assert f"{name} 未设置" in completed.stderr


def test_check_deploy_is_clean_with_the_documented_environment(tmp_path: Path) -> None:
    environment = documented_environment(tmp_path)
    environment["ZHILI_STATIC_ROOT"] = str(collected_static_root(environment))
    completed = zhili(["check", "--deploy", "--fail-level", "WARNING"], environment)
    assert (completed.returncode, completed.stderr) == (0, "")
    assert completed.stdout.strip() == "System check identified no issues (0 silenced)."


def test_keys_generate_prints_usable_keys(tmp_path: Path) -> None:
    completed = zhili(["keys_generate"], production_environment(tmp_path))
    lines = dict(line.split("=", 1) for line in completed.stdout.splitlines())
    assert sorted(lines) == ["ZHILI_METRICS_TOKEN", "ZHILI_PII_KEY", "ZHILI_SECRET_KEY"]
    assert len(lines["ZHILI_PII_KEY"]) == 44
    assert len(lines["ZHILI_SECRET_KEY"]) == 64


# -- an installation that ran on the derived key ---------------------------------------------------------


def _legacy_case(cases_world: World, *, secret_key: str, name: str, phone: str, id_number: str) -> Case:
    """A case as an older installation stored it: encrypted with the key derived from ``secret_key``."""
    case = case_create()
    legacy = personal_keys_derived_from_secret_key(secret_key)
    Case.objects.filter(pk=case.pk).update(
        reporter_name_encrypted=legacy.fernet.encrypt(name.encode()).decode(),
        reporter_phone_encrypted=legacy.fernet.encrypt(phone.encode()).decode(),
        reporter_id_number_encrypted=legacy.fernet.encrypt(id_number.encode()).decode() if id_number else "",
        reporter_phone_hash=phone_lookup_hash(phone, keys=legacy))
    return Case.objects.get(pk=case.pk)


@pytest.mark.django_db
def test_rekey_moves_rows_from_the_derived_key_to_the_configured_key(cases_world: World, monkeypatch: pytest.MonkeyPatch,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    old_secret = "an-installation-secret-key-of-2026-with-enough-length-0123456789"
    first = _legacy_case(cases_world, secret_key=old_secret, name="张三", phone="13812345678", id_number="320402199001011234")
    second = _legacy_case(cases_world, secret_key=old_secret, name="李四", phone="13900001111", id_number="")
    assert personal_decrypt(first.reporter_phone_encrypted) == ""  # unreadable with the configured key
    monkeypatch.setenv("ZHILI_OLD_SECRET_KEY", old_secret)

    call_command("personal_data_rekey", "--from-secret-key", "--dry-run")
    assert "将重新加密 2 件案件" in capsys.readouterr().out
    assert Case.objects.get(pk=first.pk).reporter_phone_encrypted == first.reporter_phone_encrypted

    call_command("personal_data_rekey", "--from-secret-key")
    assert "已重新加密 2 件案件；0 件已是当前密钥" in capsys.readouterr().out
    first.refresh_from_db()
    second.refresh_from_db()
    assert personal_decrypt(first.reporter_name_encrypted) == "张三"
    assert personal_decrypt(first.reporter_phone_encrypted) == "13812345678"
    assert personal_decrypt(first.reporter_id_number_encrypted) == "320402199001011234"
    assert first.reporter_phone_hash == phone_lookup_hash("13812345678")
    assert (personal_decrypt(second.reporter_phone_encrypted), second.reporter_id_number_encrypted) == ("13900001111", "")
    assert personal_keys_derived_from_secret_key(old_secret).decrypt(first.reporter_phone_encrypted) is None

    call_command("personal_data_rekey", "--from-secret-key")  # running it again changes nothing
    assert "已重新加密 0 件案件；2 件已是当前密钥" in capsys.readouterr().out


@pytest.mark.django_db
def test_rekey_with_the_wrong_old_key_changes_nothing(cases_world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    case = _legacy_case(cases_world, secret_key="the-real-old-secret-key-" + "z" * 40, name="王五", phone="13700002222",
                        id_number="")
    monkeypatch.setenv("ZHILI_OLD_SECRET_KEY", "a-different-secret-key-" + "y" * 40)
    with pytest.raises(CommandError, match=rf"1 件案件的个人信息用旧密钥和新密钥都解不开（例如 {case.number}），未作任何修改"):
        call_command("personal_data_rekey", "--from-secret-key")
    assert Case.objects.get(pk=case.pk).reporter_phone_encrypted == case.reporter_phone_encrypted


@pytest.mark.django_db
def test_rekey_rotates_from_a_previous_personal_data_key(cases_world: World, monkeypatch: pytest.MonkeyPatch,
                                                         settings: object) -> None:
    case = case_create(phone="13600003333")
    token = Case.objects.get(pk=case.pk).reporter_phone_encrypted
    monkeypatch.setenv("ZHILI_PREVIOUS_PII_KEY", settings.ZHILI_PII_KEY)  # type: ignore[attr-defined]
    settings.ZHILI_PII_KEY = "Q" * 43 + "="  # type: ignore[attr-defined]  # the new key (32 bytes)
    personal_keys_reset()
    try:
        assert personal_decrypt(token) == ""
        call_command("personal_data_rekey", "--from-key-env", "ZHILI_PREVIOUS_PII_KEY")
        case.refresh_from_db()
        assert personal_decrypt(case.reporter_phone_encrypted) == "13600003333"
        assert case.reporter_phone_hash == phone_lookup_hash("13600003333")
    finally:
        personal_keys_reset()
