"""Pages for partners and sharing: the merchant feeds, the embeddable player, oEmbed,
share pages and their cards, and the shoppers' alert and currency choices."""

from django import forms
from django.http import FileResponse, Http404, JsonResponse
from django.utils.cache import patch_cache_control
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe
from django.views.generic import DetailView, TemplateView

from catalog.integrations import alerts, embeds, feeds
from catalog.models import Video

from .views import player_context


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


# Embeds and oEmbed


@method_decorator(xframe_options_exempt, name="dispatch")
class EmbedVideoView(DetailView):
    """/embed/videos/<slug>/: the player and its synced products panel, for other sites.

    The one page that other sites may frame (CSP frame-ancestors *, no X-Frame-Options).
    It reads no session and renders no form, so it sends no cookies; click-outs carry
    `via=embed` and the embedding host (added by embed.js) to credit the embed.
    """

    template_name = "storefront/embed_video.html"
    context_object_name = "video"

    def get_queryset(self):
        return Video.objects.published().for_detail()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(player_context(self.object, self.request))
        return context

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        response["Content-Security-Policy"] = "frame-ancestors *"
        patch_cache_control(response, public=True, max_age=300)
        return response


class OEmbedQuery(forms.Form):
    url = forms.CharField(max_length=2048)
    format = forms.ChoiceField(choices=[("json", "json"), ("xml", "xml")], required=False)
    maxwidth = forms.IntegerField(min_value=1, max_value=10_000, required=False)
    maxheight = forms.IntegerField(min_value=1, max_value=10_000, required=False)


@require_safe
def oembed(request):
    """/oembed?url=<video page>&format=json: the embeddable player as an oEmbed `rich` type."""
    query = OEmbedQuery(request.GET)
    if not query.is_valid():
        return JsonResponse({"error": query.errors.get_json_data()}, status=400)
    if query.cleaned_data["format"] == "xml":
        return JsonResponse({"error": "Only the json format is served."}, status=501)
    try:
        data = embeds.oembed(
            query.cleaned_data["url"],
            maxwidth=query.cleaned_data["maxwidth"],
            maxheight=query.cleaned_data["maxheight"],
        )
    except embeds.NotEmbeddable as error:
        return JsonResponse({"error": str(error)}, status=404)
    response = JsonResponse(data)
    response["Access-Control-Allow-Origin"] = "*"
    patch_cache_control(response, public=True, max_age=3600)
    return response
