"""Pages for partners and sharing: the merchant feeds, the embeddable player, oEmbed,
share pages and their cards, and the shoppers' alert and currency choices."""

from django import forms
from django.db.models import Prefetch
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe
from django.views.generic import DetailView, TemplateView

from catalog.integrations import alerts, embeds, feeds, sharecards
from catalog.models import Appearance, Product, Scene, Video

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


# Share pages and their Open Graph cards


def _shared_scene(scene_id):
    scenes = Scene.objects.filter(video__status=Video.Status.PUBLISHED).select_related("video")
    return get_object_or_404(
        scenes.prefetch_related(
            Prefetch(
                "appearances",
                queryset=Appearance.objects.filter(product__is_published=True)
                .select_related("product")
                .prefetch_related("product__images")
                .order_by("id"),
            )
        ),
        pk=scene_id,
    )


def _shared_product(slug):
    return get_object_or_404(Product.objects.published().prefetch_related("images"), slug=slug)


class SharePageView(TemplateView):
    """/share/scenes/<id>/ and /share/products/<slug>/: Open Graph tags for link
    previews (the card, the title), and a link on to the page itself for people."""

    template_name = "storefront/share.html"
    kind = ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.kind == "scene":
            scene = _shared_scene(kwargs["pk"])
            card, target = sharecards.scene_card(scene), scene.get_absolute_url()
            card_url = reverse("storefront:share-scene-card", kwargs={"pk": scene.pk})
        else:
            product = _shared_product(kwargs["slug"])
            card, target = sharecards.product_card(product), product.get_absolute_url()
            card_url = reverse("storefront:share-product-card", kwargs={"slug": product.slug})
        context.update(card=card, target=target, card_url=f"{card_url}?v={card.digest()}")
        return context

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        patch_cache_control(response, public=True, max_age=300)
        return response


@require_safe
def share_card(request, kind, pk=None, slug=None):
    """The PNG of a share page's card, drawn once per version and cached on disk."""
    if kind == "scene":
        card = sharecards.scene_card(_shared_scene(pk))
    else:
        card = sharecards.product_card(_shared_product(slug))
    response = FileResponse(sharecards.card_file(card).open("rb"), content_type="image/png")
    patch_cache_control(response, public=True, max_age=86_400)
    return response
