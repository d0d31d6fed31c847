"""Token sign-in."""

from django.contrib.auth import authenticate

from rest_framework import exceptions, serializers


def may_hold_api_token(user) -> bool:
    """Staff, and integrators: accounts given permissions on the catalog."""
    return user.is_staff or user.has_module_perms("catalog")


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)

    def validate(self, attrs):
        request = self.context.get("request")
        # The HttpRequest itself, so that the login lockout can mark it (see settings).
        user = authenticate(
            getattr(request, "_request", request),
            username=attrs["username"],
            password=attrs["password"],
        )
        if user is None:
            raise serializers.ValidationError(
                "Unable to log in with these credentials.", code="authorization"
            )
        if not may_hold_api_token(user):
            raise exceptions.PermissionDenied(
                "API tokens are for staff and integrators; shoppers use the site."
            )
        attrs["user"] = user
        return attrs


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(
        help_text="Shown this once; send it as 'Authorization: Token …'."
    )
    expiry = serializers.DateTimeField()
