from django.db import migrations, models
from django.db.models import F


def mark_earlier_confirmations_sent(apps, schema_editor):  # type: ignore[no-untyped-def]
    """Subscriptions made before this field sent their confirmation in the request (or
    failed it there): none is sent again by confirmations_retry."""
    Subscription = apps.get_model("alerts", "Subscription")
    Subscription.objects.filter(channel="email").update(confirmation_sent_at=F("created_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="subscription",
            name="confirmation_sent_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(mark_earlier_confirmations_sent, migrations.RunPython.noop),
    ]
