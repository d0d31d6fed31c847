"""The curators' back-office, one module per concern, registered on the default site.

- `base`: what the admins share (import/export, big-table change lists, thumbnails).
- `videos`, `products`, `offers`: the catalog's admins.
- `linkhealth`: offer checks, price history and the needs-attention filter.
- `clicks`: clicks and the click-through dashboard.
- `integrations`: webhooks and their log, retailer tokens, alerts, exchange rates.
- `jobs`: feed imports of any length, run by a background worker.
"""

from django.contrib import admin

from . import (  # noqa: F401 (registers the admins)
    clicks,
    integrations,
    jobs,
    linkhealth,
    offers,
    products,
    videos,
)

# The index shows how many offers need attention and links to the click dashboard.
admin.site.index_template = "admin/catalog/index.html"
