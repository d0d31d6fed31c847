from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

# Below this many rows an exact COUNT(*) is cheap, and curators expect exact numbers.
EXACT_COUNT_BELOW = 100_000
# A filtered or searched list is counted up to this many rows; more reads "10,000+".
FILTERED_COUNT_UP_TO = 10_000


class EstimatedCountPaginator(Paginator):
    """Count an unfiltered change list from the database's statistics.

    On InnoDB and PostgreSQL an exact COUNT(*) scans the whole table, which takes
    seconds on a million offers; the admin asks for it on every page. A filtered or
    searched list is counted exactly up to FILTERED_COUNT_UP_TO rows (`is_capped` says
    when there are more), and any table small enough is counted exactly.
    """

    is_capped = False

    @cached_property
    def count(self):
        queryset = self.object_list
        if getattr(queryset, "query", None) is None:
            return super().count
        if queryset.query.where:
            # COUNT(*) over a LIMITed subquery stops reading at the limit.
            count = queryset.order_by()[: FILTERED_COUNT_UP_TO + 1].count()
            self.is_capped = count > FILTERED_COUNT_UP_TO
            return min(count, FILTERED_COUNT_UP_TO)
        estimate = estimate_row_count(queryset.model._meta.db_table, queryset.db)
        if estimate is None or estimate < EXACT_COUNT_BELOW:
            return super().count
        return estimate


def estimate_row_count(table: str, using: str) -> int | None:
    """Return the planner's row estimate for a table, or None where there is none."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "mysql":
            cursor.execute(
                "SELECT table_rows FROM information_schema.tables "
                "WHERE table_schema = DATABASE() AND table_name = %s",
                [table],
            )
        elif connection.vendor == "postgresql":
            cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [table])
        else:
            return None
        row = cursor.fetchone()
    return int(row[0]) if row and row[0] is not None and row[0] >= 0 else None
