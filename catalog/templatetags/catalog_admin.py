from django import template

from catalog.models import Offer, Video

REVIEW_LIST_LENGTH = 10

register = template.Library()


@register.simple_tag(takes_context=True)
def curator_tools(context):
    """Return what the admin index shows curators: offers needing attention, the dashboard,
    the videos waiting for review and those published most recently."""
    user = context["request"].user
    tools = {}
    if user.has_perm("catalog.view_offer"):
        # One indexed COUNT on failed_checks: cheap on a million offers.
        tools["attention"] = Offer.objects.needs_attention().count()
    if user.has_perm("catalog.view_click"):
        tools["dashboard"] = True
    if user.has_perm("catalog.view_video"):
        # Two small indexed reads (status, then the newest first).
        tools["needs_review"] = list(
            Video.objects.in_review().order_by("-updated_at")[:REVIEW_LIST_LENGTH]
        )
        tools["recently_published"] = list(
            Video.objects.published().order_by("-updated_at")[:REVIEW_LIST_LENGTH]
        )
    return tools
