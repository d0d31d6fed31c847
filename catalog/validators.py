from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

GTIN_LENGTHS = (8, 12, 13, 14)

# Only the web schemes: an offer or retailer link is opened by shoppers' browsers, and
# `javascript:` or `data:` there would run in our page's context.
validate_http_url = URLValidator(
    schemes=["http", "https"],
    message="Enter a valid URL that starts with http:// or https://.",
)


def gtin_check_digit(body: str) -> int:
    """Return the GS1 check digit for the digits that precede it."""
    total = sum(
        int(digit) * (3 if index % 2 == 0 else 1) for index, digit in enumerate(reversed(body))
    )
    return (10 - total % 10) % 10


def validate_gtin(value: str) -> None:
    """Accept a UPC-A, EAN-8, EAN-13 or GTIN-14 whose check digit is right."""
    if not value.isdigit():
        raise ValidationError("A UPC/GTIN has digits only.", code="gtin_not_digits")
    if len(value) not in GTIN_LENGTHS:
        raise ValidationError("A UPC/GTIN has 8, 12, 13 or 14 digits.", code="gtin_length")
    if gtin_check_digit(value[:-1]) != int(value[-1]):
        raise ValidationError(
            "The last digit of this UPC/GTIN is not its check digit.", code="gtin_check_digit"
        )


def validate_link_template(value: str) -> None:
    if value and "{url}" not in value and "{url_encoded}" not in value:
        raise ValidationError(
            "The link template must contain {url} or {url_encoded}.",
            code="link_template_placeholder",
        )
    if value.startswith(("{url}", "{url_encoded}")):
        return
    if value:
        validate_http_url(value.replace("{url_encoded}", "x").replace("{url}", "x"))
