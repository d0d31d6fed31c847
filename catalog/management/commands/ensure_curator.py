from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from catalog.groups import CURATORS

DEFAULT_USERNAME = "curator"
DEFAULT_EMAIL = "curator@inspired.test"
# A development login only: `make run` prints it, and production never runs this command
# without --password.
DEFAULT_PASSWORD = "inspired-curator"  # noqa: S105


class Command(BaseCommand):
    help = "Create the curator login of a development site, or leave it as it is."

    def add_arguments(self, parser):
        parser.add_argument("--username", default=DEFAULT_USERNAME)
        parser.add_argument("--email", default=DEFAULT_EMAIL)
        parser.add_argument("--password", default=DEFAULT_PASSWORD)

    def handle(self, *args, username, email, password, **options):
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username=username, defaults={"email": email, "is_staff": True}
        )
        if created:
            user.set_password(password)
            user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=CURATORS))
        verb = "Created" if created else "Kept"
        self.stdout.write(
            self.style.SUCCESS(f"{verb} the curator login for /admin/: ")
            + f"username {username!r}"
            + (f", password {password!r}" if created else " (password unchanged)")
        )
