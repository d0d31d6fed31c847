"""allauth's adapter: mails sent by inspired_site.mail (never a 500 for a mail), naming the
site from settings rather than from the sites framework's row."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import ratelimit

from inspired_site import mail

# What to tell the person when a mail of theirs could not be sent, by allauth template.
UNSENT = {
    "account/email/password_reset_key": (
        "We could not send the password reset email just now. Please ask for it again "
        "in a few minutes."
    ),
    "account/email/email_confirmation_signup": (
        "Your account is ready, but we could not send the confirmation email just now. "
        "You can ask for it again from your email settings."
    ),
    "account/email/email_confirmation": (
        "We could not send the confirmation email just now. You can ask for it again "
        "from your email settings."
    ),
}
DEFAULT_UNSENT = "We could not send you an email just now. Please try again in a few minutes."
MAIL_FAILED = "_mail_failed"


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

    def send_mail(self, template_prefix, email, context):
        request = self.request
        ctx = {"email": email, **context}
        if request is not None:
            ctx["request"] = request
        message = self.render_mail(template_prefix, email, ctx)

        def tell_the_person():
            if request is None:
                return
            setattr(request, MAIL_FAILED, True)
            messages.warning(request, UNSENT.get(template_prefix, DEFAULT_UNSENT))
            # allauth counts the unsent mail against its resend limits; let the person
            # ask again at once.
            for action in ("confirm_email", "reset_password"):
                ratelimit.clear(request, action=action, key=email.lower())

        mail.send_after_commit(message, on_failure=tell_the_person)

    def add_message(self, request, level, message_template=None, *args, **kwargs):
        # "Confirmation email sent" would contradict the warning about an unsent one.
        if (
            getattr(request, MAIL_FAILED, False)
            and message_template
            and ("email_confirmation_sent" in message_template)
        ):
            return
        super().add_message(request, level, message_template, *args, **kwargs)
