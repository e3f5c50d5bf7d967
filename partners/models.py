from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models

from partners.keys import RATE


class ApiKey(models.Model):
    """A partner's key to the public API, with its own rate limit. Only a hash of the key is
    kept: the key itself is shown once, when it is made (partners.services.apikey_create)."""

    name = models.CharField(max_length=100)
    contact_email = models.EmailField()
    prefix = models.CharField(max_length=8, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    rate = models.CharField(
        max_length=20,
        default="6000/hour",
        validators=[RegexValidator(RATE, "A count per period, e.g. 6000/hour or 100/min.")],
        help_text="Requests allowed per period: 6000/hour, 100/min, 50000/day...",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
