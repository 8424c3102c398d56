"""TOTP secrets encrypted with ZHILI_PII_KEY (existing secrets are encrypted here) and the last used
time step kept (a code is never accepted twice). 0004 drops the plain column."""

from django.conf import settings
from django.db import migrations, models


def _fernet():  # type: ignore[no-untyped-def]
    from cryptography.fernet import Fernet

    return Fernet(str(settings.ZHILI_PII_KEY).encode("ascii"))


def totp_secrets_encrypt(apps, schema_editor):  # type: ignore[no-untyped-def]
    User = apps.get_model("accounts", "User")
    users = list(User.objects.exclude(totp_secret="").only("id", "totp_secret"))
    if not users:
        return
    fernet = _fernet()
    for user in users:
        user.totp_secret_encrypted = fernet.encrypt(user.totp_secret.encode("utf-8")).decode("ascii")
    User.objects.bulk_update(users, ["totp_secret_encrypted"], batch_size=500)


def totp_secrets_decrypt(apps, schema_editor):  # type: ignore[no-untyped-def]
    User = apps.get_model("accounts", "User")
    users = list(User.objects.exclude(totp_secret_encrypted="").only("id", "totp_secret_encrypted"))
    if not users:
        return
    fernet = _fernet()
    for user in users:
        user.totp_secret = fernet.decrypt(user.totp_secret_encrypted.encode("ascii")).decode("utf-8")
    User.objects.bulk_update(users, ["totp_secret"], batch_size=500)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_login_failure'),
    ]

    operations = [
        migrations.AddField(
            model_name='user',
            name='totp_secret_encrypted',
            field=models.TextField(blank=True, verbose_name='动态口令密钥（加密）'),
        ),
        migrations.AddField(
            model_name='user',
            name='totp_last_step',
            field=models.BigIntegerField(blank=True, null=True, verbose_name='动态口令最近使用时段'),
        ),
        migrations.RunPython(totp_secrets_encrypt, totp_secrets_decrypt),
    ]
