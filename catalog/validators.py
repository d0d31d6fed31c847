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


def validate_public_url(value: str) -> None:
    """Refuse a link that the link checker would refuse without looking up its host.

    The rules are the checker's own (catalog/linkhealth/fetcher.py): http(s) only, ports 80
    and 443, no credentials, no private, loopback, link-local or reserved address.
    """
    from .linkhealth.fetcher import LinkRefused, check_url_rules

    try:
        check_url_rules(value)
    except LinkRefused as error:
        raise ValidationError(
            f"This link cannot be used: {error}", code="link_not_public"
        ) from error


# What a link template is tried on: the link it makes must pass as any offer URL would.
SAMPLE_OFFER_URL = "https://shop.example.com/p/1?colour=blue"


def validate_link_template(value: str) -> None:
    if not value:
        return
    if "{url}" not in value and "{url_encoded}" not in value:
        raise ValidationError(
            "The link template must contain {url} or {url_encoded}.",
            code="link_template_placeholder",
        )
    from urllib.parse import quote

    link = value.replace("{url_encoded}", quote(SAMPLE_OFFER_URL, safe="")).replace(
        "{url}", SAMPLE_OFFER_URL
    )
    try:
        validate_http_url(link)
    except ValidationError as error:
        raise ValidationError(
            "The link template must make an http:// or https:// link, e.g. "
            "https://go.example.com/?url={url_encoded} or {url}?utm_source=inspired.",
            code="link_template_url",
        ) from error
    validate_public_url(link)
