# Streets and places outside the region become configuration rows (triage was reading the demo's
# files); `updated_at` on the rows triage is built from gives the version stamp of its places.

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("directory", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="territory",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, default=django.utils.timezone.now, verbose_name="изменено"),
            preserve_default=False,
        ),
        migrations.CreateModel(
            name="OutsidePlace",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "name",
                    models.CharField(
                        help_text="город в именительном падеже («Тула»), регион полностью («Тульская область») или сокращение",
                        max_length=120,
                        verbose_name="название",
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("city", "город"),
                            ("region", "регион («Тульская область»)"),
                            ("abbreviation", "сокращение («СПб», «мск»)"),
                        ],
                        default="city",
                        max_length=16,
                        verbose_name="вид",
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="изменено")),
            ],
            options={
                "verbose_name": "место за пределами региона",
                "verbose_name_plural": "места за пределами региона",
                "ordering": ["kind", "name"],
                "constraints": [models.UniqueConstraint(fields=("name", "kind"), name="outside_place_unique")],
            },
        ),
        migrations.CreateModel(
            name="Street",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(help_text="без типа: «Ленина», «1-я Загородная»", max_length=200, verbose_name="название")),
                (
                    "type",
                    models.CharField(
                        choices=[
                            ("улица", "улица"),
                            ("проспект", "проспект"),
                            ("переулок", "переулок"),
                            ("проезд", "проезд"),
                            ("площадь", "площадь"),
                            ("бульвар", "бульвар"),
                            ("шоссе", "шоссе"),
                            ("тупик", "тупик"),
                            ("набережная", "набережная"),
                            ("микрорайон", "микрорайон"),
                            ("посёлок", "посёлок (в черте города)"),
                        ],
                        default="улица",
                        max_length=16,
                        verbose_name="тип",
                    ),
                ),
                ("lat", models.FloatField(blank=True, null=True, verbose_name="широта центра")),
                ("lon", models.FloatField(blank=True, null=True, verbose_name="долгота центра")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="изменено")),
                (
                    "territory",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="streets",
                        to="directory.territory",
                        verbose_name="территория",
                    ),
                ),
            ],
            options={
                "verbose_name": "улица",
                "verbose_name_plural": "улицы",
                "ordering": ["territory__name", "name", "type"],
                "constraints": [models.UniqueConstraint(fields=("territory", "name", "type"), name="street_unique")],
            },
        ),
    ]
