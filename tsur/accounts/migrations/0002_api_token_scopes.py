import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import tsur.accounts.models

ALL_SCOPES = ["open311", "intake", "resident", "staff_read", "staff_write"]


def keep_what_keys_could_do(apps, schema_editor):
    """Keys issued before scopes existed could do everything their user could: they keep that
    until an administrator narrows them (the demo's published key is narrowed by the demo loader)."""
    apps.get_model("accounts", "ApiToken").objects.update(scopes=ALL_SCOPES)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="scopes",
            field=models.JSONField(
                default=tsur.accounts.models.default_scopes,
                help_text="Для чего может использоваться ключ (в пределах роли пользователя).",
                verbose_name="разрешено",
            ),
        ),
        migrations.RunPython(keep_what_keys_could_do, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="apitoken",
            name="user",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="api_tokens",
                to=settings.AUTH_USER_MODEL,
                verbose_name="пользователь",
            ),
        ),
    ]
