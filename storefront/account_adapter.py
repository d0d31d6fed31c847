"""How allauth's mails name the site: from settings, not from the sites framework's row."""

from dataclasses import dataclass

from django.conf import settings

from allauth.account.adapter import DefaultAccountAdapter


@dataclass(frozen=True)
class ConfiguredSite:
    """What mail templates read of `current_site`: its name and domain."""

    name: str
    domain: str

    def __str__(self):
        return self.domain


def configured_site(request=None) -> ConfiguredSite:
    domain = settings.SITE_DOMAIN or (request.get_host() if request is not None else "")
    return ConfiguredSite(name=settings.SITE_NAME, domain=domain)


class AccountAdapter(DefaultAccountAdapter):
    def format_email_subject(self, subject):
        return f"[{settings.SITE_NAME}] {subject}"

    def render_mail(self, template_prefix, email, context, headers=None):
        context = {**context, "current_site": configured_site(context.get("request"))}
        return super().render_mail(template_prefix, email, context, headers=headers)
