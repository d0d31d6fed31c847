"""Revoke a person's API tokens when their password changes.

Every way of changing a password (the admin, allauth's change and reset pages,
`changepassword`, the shell) calls set_password() and then save(); Django keeps the new
raw password on the instance until save() has told the validators, so post_save sees it.
"""

from django.contrib.auth import get_user_model
from django.db.models.signals import post_save

from knox.models import get_token_model


def revoke_tokens_on_password_change(sender, instance, created, raw=False, **kwargs):
    if raw or created or getattr(instance, "_password", None) is None:
        return
    get_token_model().objects.filter(user=instance).delete()


def connect():
    post_save.connect(
        revoke_tokens_on_password_change,
        sender=get_user_model(),
        dispatch_uid="catalog_api_revoke_tokens_on_password_change",
    )
