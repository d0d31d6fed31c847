from django.core.exceptions import ValidationError as DjangoValidationError

from rest_framework import exceptions, views
from rest_framework.serializers import as_serializer_error

from catalog.services import NestedValidationError


def to_drf_validation_error(exc: DjangoValidationError) -> exceptions.ValidationError:
    """Turn the model's own validation errors into DRF's 400 shape, keyed by field."""
    if isinstance(exc, NestedValidationError):
        return exceptions.ValidationError(exc.detail)
    return exceptions.ValidationError(as_serializer_error(exc))


def exception_handler(exc, context):
    """DRF's handler, plus Django ValidationErrors from models and services as 400s.

    This is the one place the translation happens, so services raise plain Django errors.
    """
    if isinstance(exc, DjangoValidationError):
        exc = to_drf_validation_error(exc)
    return views.exception_handler(exc, context)
