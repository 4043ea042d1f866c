from django.core.management.base import BaseCommand, CommandError

from access.keys import revoke_api_keys
from access.models import ApiKey


class Command(BaseCommand):
    help = "Revoke every live API key with this name; clients sending one are then refused."

    def add_arguments(self, parser):
        parser.add_argument("name", help="The name the key was created with.")

    def handle(self, *args, name: str, **options):
        keys = ApiKey.objects.filter(name=name.strip())
        if not keys.exists():
            raise CommandError(f"No API key is named {name!r}.")
        revoked = revoke_api_keys(keys)
        self.stdout.write(f"Revoked {revoked} API key(s) named {name!r}.")
