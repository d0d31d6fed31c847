from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from catalog.groups import CURATORS

DEFAULT_USERNAME = "curator"
DEFAULT_EMAIL = "curator@inspired.test"
# A development login only: `make run` prints it. With debug off the command refuses to
# create a login without --password.
DEFAULT_PASSWORD = "inspired-curator"  # noqa: S105


class Command(BaseCommand):
    help = "Create the curator login of a development site, or leave it as it is."

    def add_arguments(self, parser):
        parser.add_argument("--username", default=DEFAULT_USERNAME)
        parser.add_argument("--email", default=DEFAULT_EMAIL)
        parser.add_argument(
            "--password",
            help="Required with debug off; a development site gets a known default.",
        )

    def handle(self, *args, username, email, password, **options):
        User = get_user_model()
        if password is None and not User.objects.filter(username=username).exists():
            if not settings.DEBUG:
                raise CommandError(
                    "Give the new login a password with --password: the default one is "
                    "for development sites (DJANGO_DEBUG=1) only."
                )
            password = DEFAULT_PASSWORD
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
