import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from decision.models import Assessment


class Command(BaseCommand):
    help = "Delete stored assessments older than a number of days (default: the retention setting)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=int,
            default=None,
            metavar="DAYS",
            help="Defaults to ASSESSMENT_RETENTION_DAYS.",
        )

    def handle(self, *args, older_than: int | None, **options):
        days = settings.ASSESSMENT_RETENTION_DAYS if older_than is None else older_than
        if days < 0:
            raise CommandError("--older-than must be zero or more days.")
        if older_than is None and days == 0:
            self.stdout.write("ASSESSMENT_RETENTION_DAYS is 0: assessments are kept; nothing done.")
            return
        cutoff = timezone.now() - datetime.timedelta(days=days)
        deleted, _ = Assessment.objects.filter(created_at__lt=cutoff).delete()
        self.stdout.write(
            f"Deleted {deleted} assessment(s) created before {cutoff:%Y-%m-%d %H:%M} UTC."
        )
