from django.db import migrations, models


def mask_existing(apps, schema_editor):
    """Fill the masked copy of every stored text and rebuild the search from it, so the analysts'
    search stops finding appeals by what residents typed of themselves."""
    from tsur.lib.pdmask import mask_known, mask_personal_data

    Appeal = apps.get_model("appeals", "Appeal")
    batch = []
    rows = Appeal.objects.select_related("resident").only(
        "pk", "number", "text", "address", "resident__name", "resident__phone", "resident__email", "resident__account_link"
    )
    for appeal in rows.iterator(chunk_size=1000):
        r = appeal.resident
        appeal.text_masked = mask_known(
            mask_personal_data(appeal.text),
            name=r.name if r else "",
            phone=r.phone if r else "",
            email=r.email if r else "",
            account=r.account_link if r else "",
        )
        appeal.search_text = " ".join(filter(None, [appeal.number, appeal.text_masked, appeal.address])).casefold()
        batch.append(appeal)
        if len(batch) >= 1000:
            Appeal.objects.bulk_update(batch, ["text_masked", "search_text"])
            batch = []
    if batch:
        Appeal.objects.bulk_update(batch, ["text_masked", "search_text"])


class Migration(migrations.Migration):
    dependencies = [
        ("appeals", "0002_telegram_bot_channel"),
    ]

    operations = [
        migrations.AddField(
            model_name="appeal",
            name="text_masked",
            field=models.TextField(blank=True, editable=False, verbose_name="текст без персональных данных"),
        ),
        migrations.RunPython(mask_existing, migrations.RunPython.noop),
    ]
