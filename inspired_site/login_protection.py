"""Login protection shared by every sign-in surface: lockout answers and staff two-factor.

django-axes counts failed sign-ins per account and client address (settings "Login
lockout"); this module tells it which account a sign-in names, answers a locked-out client
(JSON under /api/, a page elsewhere) and makes staff use a second factor for the admin when
settings.STAFF_REQUIRE_MFA is on.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.template import loader
from django.urls import reverse

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from axes.backends import AxesStandaloneBackend


class LoginLockoutBackend(AxesStandaloneBackend):
    """django-axes' check, first in AUTHENTICATION_BACKENDS: a locked-out client is refused
    before any backend hashes its password.

    Every sign-in page passes its request; a call without one (the shell, a test client's
    login()) has no client address to lock out and is left to the other backends.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


def attempted_account(request, credentials) -> str | None:
    """Return the account a sign-in attempt names, the same way on every surface.

    The admin, the browsable API and the token login send a username; allauth signs in by
    email. Case is folded so that "Curator" and "curator" share one count.
    """
    credentials = credentials or {}
    data = getattr(request, "POST", {}) or {}
    for value in (
        credentials.get("username"),
        credentials.get("email"),
        data.get("username"),
        data.get("login"),
    ):
        if value:
            return str(value).strip().lower()
    return None


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """429 with Retry-After for a client locked out of an account."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = (
        f"Too many failed sign-ins for this account from your address. "
        f"Try again in {minutes} minutes, or reset your password."
    )
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=429)
    else:
        body = loader.get_template("429.html").render({"message": message})
        response = HttpResponse(body, status=429)
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    response["Cache-Control"] = "no-store"
    return response


def signed_in_with_second_factor(request) -> bool:
    return any(
        record.get("method") == "mfa"
        for record in get_authentication_records(request, request.user)
    )


class StaffTwoFactorMiddleware:
    """With settings.STAFF_REQUIRE_MFA, the admin is for staff signed in with a second factor.

    The admin's own login form takes a password only, so it hands over to allauth's sign-in,
    which asks for the authenticator code. Staff without an authenticator are sent to set
    one up; a session signed in without the second factor (the browsable API's login) is
    signed out and sent to sign in again.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.STAFF_REQUIRE_MFA and request.path.startswith(reverse("admin:index")):
            response = self.guard(request)
            if response is not None:
                return response
        return self.get_response(request)

    def guard(self, request):
        admin_login = reverse("admin:login")
        if request.path == admin_login:
            target = request.GET.get("next") or reverse("admin:index")
            return HttpResponseRedirect(
                f"{reverse('account_login')}?{urlencode({'next': target})}"
            )
        user = request.user
        if not (user.is_authenticated and user.is_staff):
            return None
        if signed_in_with_second_factor(request):
            return None
        if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            messages.warning(
                request, "Set up two-factor sign-in with an authenticator app to use the admin."
            )
            return HttpResponseRedirect(reverse("mfa_activate_totp"))
        logout(request)
        messages.info(request, "Sign in with your authenticator code to use the admin.")
        return HttpResponseRedirect(
            f"{reverse('account_login')}?{urlencode({'next': request.get_full_path()})}"
        )
