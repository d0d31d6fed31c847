from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError

from rest_framework import exceptions, views
from rest_framework.serializers import as_serializer_error

from catalog.services import NestedValidationError

from .parsers import PayloadTooLarge


def to_drf_validation_error(exc: DjangoValidationError) -> exceptions.ValidationError:
    """Turn the model's own validation errors into DRF's 400 shape, keyed by field."""
    if isinstance(exc, NestedValidationError):
        return exceptions.ValidationError(exc.detail)
    return exceptions.ValidationError(as_serializer_error(exc))


class StillInUse(exceptions.APIException):
    status_code = 409
    default_detail = "This is still in use and cannot be deleted."
    default_code = "protected"


def exception_handler(exc, context):
    """DRF's handler, plus Django ValidationErrors from models and services as 400s.

    This is the one place the translation happens, so services raise plain Django errors.
    Deleting a row that others still point at (a product type with products) is a 409.
    """
    if isinstance(exc, DjangoValidationError):
        exc = to_drf_validation_error(exc)
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, ProtectedError | RestrictedError):
        rows = getattr(exc, "protected_objects", None) or getattr(exc, "restricted_objects", ())
        users = sorted({str(type(row)._meta.verbose_name_plural) for row in rows})
        exc = StillInUse(f"This is still used by {', '.join(users)}; remove those first.")
    return views.exception_handler(exc, context)
