from django.conf import settings

from rest_framework import throttling


class SettingsRateMixin:
    """Read the rate when a request comes in, not when DRF is imported.

    DRF copies DEFAULT_THROTTLE_RATES into a class attribute at import time, so a rate changed
    in settings (or by a test's settings override) would otherwise be ignored.
    """

    def get_rate(self):
        return settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {}).get(self.scope)


class AnonRateThrottle(SettingsRateMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(SettingsRateMixin, throttling.UserRateThrottle):
    pass


class LoginRateThrottle(SettingsRateMixin, throttling.AnonRateThrottle):
    """Slows down password guessing on the token endpoint, per client address."""

    scope = "login"
