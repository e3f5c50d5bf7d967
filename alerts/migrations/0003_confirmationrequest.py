import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0002_subscription_confirmation_sent_at"),
    ]

    operations = [
        migrations.CreateModel(
            name="ConfirmationRequest",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("address_key", models.CharField(max_length=64)),
                ("requester", models.CharField(blank=True, max_length=32)),
                ("created_at", models.DateTimeField()),
                ("subscription", models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to="alerts.subscription")),
            ],
            options={
                "indexes": [
                    models.Index(fields=["address_key", "created_at"], name="alerts_confirm_address"),
                    models.Index(fields=["requester", "created_at"], name="alerts_confirm_requester"),
                    models.Index(fields=["created_at"], name="alerts_confirm_created"),
                ],
            },
        ),
    ]
