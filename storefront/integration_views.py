"""Pages for partners and sharing: the merchant feeds, the embeddable player, oEmbed,
share pages and their cards, and the shoppers' alert and currency choices."""

from django.http import FileResponse, Http404
from django.utils.cache import patch_cache_control
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView

from catalog.integrations import alerts, feeds


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


@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(never_cache, name="dispatch")
class UnsubscribeView(TemplateView):
    """The signed link in every alert and digest mail.

    GET asks for a confirmation (mail scanners follow links); POST unsubscribes, which is
    also what mail programs send for the List-Unsubscribe-Post one-click header (RFC 8058),
    without a CSRF token: the signed token is the authorisation.
    """

    template_name = "storefront/unsubscribe.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        parsed = alerts.read_unsubscribe_token(self.kwargs["token"])
        context.update(valid=parsed is not None, kind=parsed[0] if parsed else "", done=False)
        return context

    def get(self, request, *args, **kwargs):
        context = self.get_context_data(**kwargs)
        return self.render_to_response(context, status=200 if context["valid"] else 400)

    def post(self, request, *args, **kwargs):
        context = self.get_context_data(**kwargs)
        if not context["valid"]:
            return self.render_to_response(context, status=400)
        alerts.unsubscribe(self.kwargs["token"])
        context["done"] = True
        return self.render_to_response(context)
