import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from cdshooks.models import EhrClient
from cdshooks.tokens import validate_jwks


class Command(BaseCommand):
    help = "Register or update an EHR allowed to call the CDS Hooks services (issuer and JWKS)."

    def add_arguments(self, parser):
        parser.add_argument("issuer", help="The `iss` of the client's tokens, exactly.")
        parser.add_argument(
            "--jwks", required=True, type=Path, help="A JSON file: the public JWK Set."
        )
        parser.add_argument("--name", default="", help="Who the client is (default: the issuer).")

    def handle(self, *args, issuer: str, jwks: Path, name: str, **options):
        try:
            keyset = json.loads(jwks.read_text(encoding="utf-8"))
        except OSError as error:
            raise CommandError(f"Cannot read {jwks}: {error.strerror}.") from error
        except ValueError as error:
            raise CommandError(f"{jwks} is not JSON: {error}.") from error
        try:
            validate_jwks(keyset)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        if not issuer.strip():
            raise CommandError("The issuer must not be empty.")
        client, created = EhrClient.objects.update_or_create(
            issuer=issuer,
            defaults={"jwks": keyset, "name": name or issuer, "active": True},
        )
        verb = "Registered" if created else "Updated"
        kids = ", ".join(client.kids)
        self.stdout.write(self.style.SUCCESS(f"{verb} {client.issuer} with key(s) {kids}."))
