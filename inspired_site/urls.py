from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path

from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from catalog.api.views import RedocView, api_not_found
from inspired_site import health

admin.site.site_header = "Inspired back-office"
admin.site.site_title = "Inspired back-office"
admin.site.index_title = "Catalog"

urlpatterns = [
    # For load balancers: the process is up / it can serve (database, cache).
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("catalog.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file, which the CSP allows.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", RedocView.as_view(url_name="api-schema"), name="api-redoc"),
    # The browsable API's "Log in" link: a session with CSRF, for people exploring the API.
    path("api/auth/", include("rest_framework.urls")),
    # Any other /api/ path: a JSON 404, in debug mode too.
    re_path(r"^api/", api_not_found),
    # Saved, Following and the profile first, then allauth's sign-in and settings pages.
    path("accounts/", include("storefront.account_urls")),
    path("accounts/", include("allauth.urls")),
    path("", include("storefront.urls")),
]

# Unknown /api/ paths answer JSON, as the API's own 404s do; the storefront keeps its page.
handler404 = "catalog.api.views.page_not_found"
# A database out of reach answers 503 with Retry-After rather than 500.
handler500 = "inspired_site.health.server_error"

if settings.MEDIA_SERVED_BY_SITE:
    from storefront.views import media

    # Uploads on the local disk, with byte ranges so that the video player can seek. With
    # object storage (DJANGO_MEDIA_S3_*) their URLs point at the bucket instead.
    urlpatterns += [re_path(rf"^{settings.MEDIA_URL.lstrip('/')}(?P<path>.*)$", media)]
