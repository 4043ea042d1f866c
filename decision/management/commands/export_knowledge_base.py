from pathlib import Path

from django.core.management.base import BaseCommand

from decision.knowledge_base import DEFAULT_PATH, export_knowledge_base


class Command(BaseCommand):
    help = "Write every curated record to the knowledge base file (sorted, diff-friendly)."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=str(DEFAULT_PATH), type=Path)

    def handle(self, *args, path: Path, **options):
        counts = export_knowledge_base(path)
        listing = ", ".join(f"{count} {name}" for name, count in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Wrote {path}: {listing}."))
