from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from decision.audit import audit
from decision.engine import ReleaseError
from decision.knowledge_base import KnowledgeBaseError, read_file
from decision.releases import candidate


class Command(BaseCommand):
    help = "Audit the published content (or a file) against the clinical bar; fail if it blocks."

    def add_arguments(self, parser):
        parser.add_argument(
            "--file", type=Path, help="Audit a knowledge-base file instead of the database."
        )

    def handle(self, *args, file: Path | None, **options):
        try:
            curated = candidate(read_file(file) if file else None)
        except KnowledgeBaseError as error:
            raise CommandError(str(error)) from error
        except ReleaseError as error:
            raise CommandError(f"The published content does not compile: {error}") from error
        report = audit(curated.release)
        self.stdout.write(report.describe())
        if report.blocking:
            raise CommandError(
                f"{len(report.blocking)} blocking finding(s): publishing would be refused."
            )
        self.stdout.write(self.style.SUCCESS("No blocking findings."))
