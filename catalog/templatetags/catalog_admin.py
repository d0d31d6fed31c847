from django import template

from catalog.models import Offer

register = template.Library()


@register.simple_tag(takes_context=True)
def curator_tools(context):
    """Return what the admin index shows curators: offers needing attention, the dashboard."""
    user = context["request"].user
    tools = {}
    if user.has_perm("catalog.view_offer"):
        # One indexed COUNT on failed_checks: cheap on a million offers.
        tools["attention"] = Offer.objects.needs_attention().count()
    if user.has_perm("catalog.view_click"):
        tools["dashboard"] = True
    return tools
