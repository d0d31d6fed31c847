from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

admin.site.site_header = "Inspired back-office"
admin.site.site_title = "Inspired back-office"
admin.site.index_title = "Catalog"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("catalog.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    # The browsable API's "Log in" link: a session with CSRF, for people exploring the API.
    path("api/auth/", include("rest_framework.urls")),
    # Saved, Following and the profile first, then allauth's sign-in and settings pages.
    path("accounts/", include("storefront.account_urls")),
    path("accounts/", include("allauth.urls")),
    path("", include("storefront.urls")),
]

# Unknown /api/ paths answer JSON, as the API's own 404s do; the storefront keeps its page.
handler404 = "catalog.api.views.page_not_found"

if settings.MEDIA_SERVED_BY_SITE:
    from django.urls import re_path

    from storefront.views import media

    # Uploads on the local disk, with byte ranges so that the video player can seek. With
    # object storage (DJANGO_MEDIA_S3_*) their URLs point at the bucket instead.
    urlpatterns += [re_path(rf"^{settings.MEDIA_URL.lstrip('/')}(?P<path>.*)$", media)]
