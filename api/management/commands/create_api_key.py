from django.core.management.base import BaseCommand, CommandError

from api import services


class Command(BaseCommand):
    help = (
        "Create an API key named NAME and print it, once, on the last line. Only its hash is "
        "stored: keep the key; revoke it in the admin (API keys)."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="who or what will use the key, e.g. 'museum scanning pipeline'")

    def handle(self, *args, name, **options):
        if not name.strip():
            raise CommandError("Give the key a name.")
        api_key, key = services.api_key_create(name=name)
        self.stdout.write(
            f"Created API key {api_key.name!r} (csk_{api_key.prefix}_…). It is shown only now; "
            "send it as 'Authorization: Bearer KEY':"
        )
        self.stdout.write(key)
