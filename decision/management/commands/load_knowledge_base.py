from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from decision.cases import run_cases
from decision.engine import ReleaseError
from decision.knowledge_base import DEFAULT_PATH, KnowledgeBaseError, load_data, read_file
from decision.releases import (
    NothingChanged,
    PublishRefused,
    candidate,
    case_specs,
    publish_release,
)


class Command(BaseCommand):
    help = "Load the knowledge base file (idempotent, all or nothing) and publish it as a release."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=str(DEFAULT_PATH), type=Path)

    def handle(self, *args, path: Path, **options):
        try:
            data = read_file(path)
            # The file alone must compile and pass its own cases before anything is written;
            # publishing then checks everything published, in the database, once more.
            curated = candidate(data)
            failures = [r for r in run_cases(curated.release, case_specs(data)) if not r.passed]
            if failures:
                raise self._refusal(f"{len(failures)} curator test case(s) failed.", failures)
            with transaction.atomic():
                summary = load_data(data)
                release = self._publish()
        except (KnowledgeBaseError, ReleaseError) as error:
            raise CommandError(f"Nothing was loaded. {error}") from error
        except PublishRefused as error:
            raise self._refusal(str(error), error.failures) from error
        self.stdout.write(summary.describe())
        if release:
            self.stdout.write(self.style.SUCCESS(f"Published release {release.version}."))
        else:
            self.stdout.write("The published content is unchanged; no new release.")

    def _refusal(self, message: str, failures) -> CommandError:
        details = "".join(
            f"\n  {result.key}: {failure}" for result in failures for failure in result.failures
        )
        return CommandError(f"Nothing was loaded. {message}{details}")

    def _publish(self):
        try:
            return publish_release()
        except NothingChanged:
            return None
