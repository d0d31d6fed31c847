"""A shopper's pages: Saved, Following, the profile, and the Save and Follow buttons.

Sign-up, sign-in, password and email pages are allauth's (see account/ templates).
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import ListView, TemplateView

from allauth.account.models import EmailAddress

from catalog.integrations import alerts
from catalog.models import Artist, DigestSubscription, Product, ProductAlert

from . import services
from .currency import display_currency
from .forms import AlertForm
from .models import FollowedArtist, SavedProduct


class SavedListView(LoginRequiredMixin, ListView):
    template_name = "storefront/saved_list.html"
    context_object_name = "saves"
    paginate_by = 24

    def get_queryset(self):
        user = self.request.user
        return SavedProduct.objects.by(user).visible_to(user).for_listing()


class FollowingListView(LoginRequiredMixin, ListView):
    template_name = "storefront/following_list.html"
    context_object_name = "follows"
    paginate_by = 48

    def get_queryset(self):
        return FollowedArtist.objects.by(self.request.user).for_listing()


class ProfileView(LoginRequiredMixin, TemplateView):
    template_name = "storefront/profile.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        context = super().get_context_data(**kwargs)
        context["email_addresses"] = EmailAddress.objects.filter(user=user).order_by(
            "-primary", "email"
        )
        context["saved_count"] = SavedProduct.objects.by(user).visible_to(user).count()
        context["following_count"] = FollowedArtist.objects.by(user).count()
        return context


class ToggleView(View):
    """POST-only endpoint behind a Save or Follow button.

    Without JavaScript the button is a plain form: the view redirects back to the page it
    came from (same-site paths only) or to the object's page. The button's script asks for
    JSON instead and updates the page in place.
    """

    http_method_names = ["post"]
    queryset = None
    service = None  # a storefront.services function, called as service(user=, <kind>=)
    kind = None  # "product" or "artist": the service's keyword for the object
    active = True  # the state the service leaves: saved/followed, or not

    def get_object(self):
        return get_object_or_404(self.get_queryset(), slug=self.kwargs["slug"])

    def get_queryset(self):
        return self.queryset.all()

    def post(self, request, *args, **kwargs):
        obj = self.get_object()
        back = self.get_redirect_url(fallback=obj.get_absolute_url())
        if not request.user.is_authenticated:
            # Back to the page, not to this endpoint: after signing in the browser GETs
            # `next`, and a GET here is a 405.
            return redirect_to_login(back)
        self.service(user=request.user, **{self.kind: obj})
        if "application/json" in request.headers.get("Accept", ""):
            return JsonResponse({"active": self.active})
        return HttpResponseRedirect(back)

    def get_redirect_url(self, *, fallback):
        return next_or(self.request, fallback)


def next_or(request, fallback):
    """Return the form's `next` when it is a path on this site, else `fallback`."""
    target = request.POST.get("next", "")
    # Absolute paths on this site only: allowed_hosts=None refuses any host or scheme,
    # and the leading "/" refuses relative paths that would land below this endpoint.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts=None, require_https=request.is_secure()
    ):
        return target
    return fallback


class ProductToggleView(ToggleView):
    kind = "product"

    def get_queryset(self):
        # A product that is not shown to this person cannot be saved either.
        return Product.objects.visible_to(self.request.user)


class SaveProductView(ProductToggleView):
    service = staticmethod(services.save_product)
    active = True


class UnsaveProductView(ProductToggleView):
    service = staticmethod(services.unsave_product)
    active = False


class ArtistToggleView(ToggleView):
    queryset = Artist.objects.all()
    kind = "artist"


class FollowArtistView(ArtistToggleView):
    service = staticmethod(services.follow_artist)
    active = True


class UnfollowArtistView(ArtistToggleView):
    service = staticmethod(services.unfollow_artist)
    active = False


# Alerts and the weekly digest


class AlertListView(LoginRequiredMixin, ListView):
    """Context: alerts (the shopper's, newest first), digest (the weekly digest's state)."""

    template_name = "storefront/alert_list.html"
    context_object_name = "alerts"
    paginate_by = 48

    def get_queryset(self):
        return ProductAlert.objects.by(self.request.user).for_listing()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["digest"] = DigestSubscription.objects.filter(
            user=self.request.user, weekly_digest=True
        ).exists()
        return context


class AlertCreateView(LoginRequiredMixin, View):
    """POST from the product page or Saved: create (or re-activate) an alert."""

    http_method_names = ["post"]

    def post(self, request, slug):
        product = get_object_or_404(Product.objects.visible_to(request.user), slug=slug)
        form = AlertForm(request.POST)
        if not form.is_valid():
            errors = "; ".join(error for errors in form.errors.values() for error in errors)
            messages.error(request, f"The alert was not set: {errors}")
            return HttpResponseRedirect(product.get_absolute_url())
        alerts.create_alert(
            user=request.user,
            product=product,
            kind=form.cleaned_data["kind"],
            target_price=form.cleaned_data["target_price"],
            currency=form.cleaned_data["currency"] or display_currency(request),
        )
        messages.success(request, f"Alert set on {product}. Manage it under Alerts.")
        back = next_or(request, product.get_absolute_url())
        return HttpResponseRedirect(back)


class AlertDeleteView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        alert = get_object_or_404(ProductAlert.objects.by(request.user), pk=pk)
        alert.delete()
        messages.success(request, "Alert removed.")
        return HttpResponseRedirect(reverse("accounts:alert-list"))


class AlertPauseView(LoginRequiredMixin, View):
    """Switch an alert off or back on (POST `active=1` or `active=0`)."""

    http_method_names = ["post"]

    def post(self, request, pk):
        alert = get_object_or_404(ProductAlert.objects.by(request.user), pk=pk)
        alert.is_active = request.POST.get("active") == "1"
        alert.save(update_fields=["is_active", "updated_at"])
        return HttpResponseRedirect(reverse("accounts:alert-list"))


class DigestView(LoginRequiredMixin, View):
    """Opt in to or out of the weekly mail of followed artists' new videos."""

    http_method_names = ["post"]

    def post(self, request):
        enabled = request.POST.get("weekly_digest") == "1"
        alerts.set_digest(request.user, enabled)
        messages.success(request, "Weekly digest on." if enabled else "Weekly digest off.")
        return HttpResponseRedirect(reverse("accounts:alert-list"))
