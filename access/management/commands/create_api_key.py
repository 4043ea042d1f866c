from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from access.keys import create_api_key


class Command(BaseCommand):
    help = "Create an API key for a client system; the key is printed once, on the last line."

    def add_arguments(self, parser):
        parser.add_argument("name", help="Who holds the key, e.g. 'ehr-production'.")

    def handle(self, *args, name: str, **options):
        name = name.strip()
        if not name:
            raise CommandError("Give the key a name: who holds it.")
        try:
            api_key, key = create_api_key(name)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(
            f"Created API key {api_key.pk} for {name!r}. It is shown only this once and "
            "cannot be recovered: give it to the client now (revoke it in the admin or with "
            "revoke_api_key)."
        )
        # Alone on the last line, so a script can take it with `tail -n 1`.
        self.stdout.write(key)
