from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from decision.knowledge_base import DEFAULT_PATH, KnowledgeBaseError, load_data, read_file
from decision.releases import NothingChanged, PublishRefused, publish_release


class Command(BaseCommand):
    help = "Load the knowledge base file (idempotent, all or nothing) and publish it as a release."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=str(DEFAULT_PATH), type=Path)

    def handle(self, *args, path: Path, **options):
        try:
            data = read_file(path)
            with transaction.atomic():
                summary = load_data(data)
                release = self._publish()
        except KnowledgeBaseError as error:
            raise CommandError(f"Nothing was loaded. {error}") from error
        except PublishRefused as error:
            details = "".join(
                f"\n  {result.key}: {failure}"
                for result in error.failures
                for failure in result.failures
            )
            raise CommandError(f"Nothing was loaded. {error}{details}") from error
        self.stdout.write(summary.describe())
        if release:
            self.stdout.write(self.style.SUCCESS(f"Published release {release.version}."))
        else:
            self.stdout.write("The published content is unchanged; no new release.")

    def _publish(self):
        try:
            return publish_release()
        except NothingChanged:
            return None
