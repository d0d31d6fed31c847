"""Pages for partners and sharing: the merchant feeds, the embeddable player, oEmbed,
share pages and their cards, and the shoppers' alert and currency choices."""

from django.http import FileResponse, Http404
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from catalog.integrations import feeds


@require_safe
def merchant_feed(request, fmt):
    """/feeds/products.xml (Google Merchant Center RSS 2.0) and /feeds/products.tsv."""
    if fmt not in feeds.FORMATS:
        raise Http404("No such feed format.")
    path = feeds.current_feed(fmt)
    response = FileResponse(path.open("rb"), content_type=feeds.FORMATS[fmt])
    response["Content-Disposition"] = f'inline; filename="products.{fmt}"'
    patch_cache_control(response, public=True, max_age=feeds.settings.CATALOG_FEED_MAX_AGE)
    return response
