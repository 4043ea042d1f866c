"""API keys for the systems that call `POST /api/v1/assessments`.

Only a SHA-256 digest of each key is stored: the key itself is shown once, when it is made
(`access.keys.create_api_key`), and never again. A key is revoked, never deleted, so the list
stays a record of who was given access and when it was last used.
"""

from django.db import models


class ApiKey(models.Model):
    name = models.CharField(
        max_length=100, help_text="Who holds the key, e.g. the client system and its environment."
    )
    # The key's first characters: enough to tell which key a client holds, useless to guess it.
    prefix = models.CharField(max_length=16, editable=False)
    hashed_key = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="Recorded at most once a minute."
    )
    revoked = models.BooleanField(default=False, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "API key"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
