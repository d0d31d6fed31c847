from rest_framework import pagination
from rest_framework.exceptions import ValidationError

MAX_PAGE_SIZE = 100


class StrictPageSizeMixin:
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None or raw == "":
            return self.page_size
        # DRF quietly falls back to the default on a bad value; say what is wrong instead.
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        f"Enter a whole number from 1 to {self.max_page_size}."
                    ]
                }
            )
        return int(raw)


class PageNumberPagination(StrictPageSizeMixin, pagination.PageNumberPagination):
    """For the small tables, where a page number and a total count are affordable."""


class CursorPagination(StrictPageSizeMixin, pagination.CursorPagination):
    """For the large tables (products, offers): no OFFSET scans and no COUNT(*).

    The ordering comes from StrictOrderingFilter, which always ends on `id`.
    """

    page_size = 20
    ordering = ("id",)
