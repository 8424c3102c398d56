"""The plain TOTP secret column and the hand-rolled LoginFailure throttle table are gone: secrets are
encrypted (0003) and django-axes counts failed sign-ins."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_totp_secret_encrypted'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='user',
            name='totp_secret',
        ),
        migrations.DeleteModel(
            name='LoginFailure',
        ),
    ]
