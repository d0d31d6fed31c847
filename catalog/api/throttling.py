from django.conf import settings

from rest_framework import throttling

from inspired_site.proxies import client_ip


class SettingsRateMixin:
    """Read the rate when a request comes in, not when DRF is imported.

    DRF copies DEFAULT_THROTTLE_RATES into a class attribute at import time, so a rate changed
    in settings (or by a test's settings override) would otherwise be ignored.
    """

    def get_rate(self):
        return settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {}).get(self.scope)


class ClientAddressMixin:
    """Key anonymous clients by the address the trusted proxies vouch for.

    DRF's own get_ident() takes the left end of X-Forwarded-For, which the client writes, so
    a fresh header per request would never be throttled.
    """

    def get_ident(self, request):
        return client_ip(request)


class AnonRateThrottle(ClientAddressMixin, SettingsRateMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(ClientAddressMixin, SettingsRateMixin, throttling.UserRateThrottle):
    """Signed-in clients; an anonymous one has the (stricter) anonymous rate alone.

    DRF's own would count an anonymous client a second time, by address, under the user
    rate: two more cache round trips per request for a limit that never bites first.
    """

    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return None
        return super().get_cache_key(request, view)


class LoginRateThrottle(ClientAddressMixin, SettingsRateMixin, throttling.AnonRateThrottle):
    """Slows down password guessing on the token endpoint, per client address."""

    scope = "login"
