from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from decision.cases import run_cases
from decision.engine import ReleaseError
from decision.knowledge_base import KnowledgeBaseError, read_file
from decision.releases import candidate, case_specs


class Command(BaseCommand):
    help = (
        "Run every curator test case against the published content (or a file); fail if any fails."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--include-drafts", action="store_true", help="Also run test cases still in draft."
        )
        parser.add_argument(
            "--file",
            type=Path,
            help="Check a knowledge-base file instead of the database (nothing is loaded).",
        )

    def handle(self, *args, include_drafts: bool, file: Path | None, **options):
        try:
            curated = candidate(read_file(file) if file else None)
        except KnowledgeBaseError as error:
            raise CommandError(str(error)) from error
        except ReleaseError as error:
            raise CommandError(f"The published content does not compile: {error}") from error
        results = run_cases(
            curated.release, case_specs(curated.data, published_only=not include_drafts)
        )
        failed = [result for result in results if not result.passed]
        for result in failed:
            self.stderr.write(f"FAIL {result.key}: {result.title}")
            for failure in result.failures:
                self.stderr.write(f"  {failure}")
        if not results:
            raise CommandError("There are no curator test cases to run.")
        if failed:
            raise CommandError(f"{len(failed)} of {len(results)} curator test cases failed.")
        self.stdout.write(self.style.SUCCESS(f"All {len(results)} curator test cases passed."))
