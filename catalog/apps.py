from django.apps import AppConfig
from django.db.backends.signals import connection_created


def tune_mariadb_session(sender, connection, **kwargs):
    """Keep MariaDB's EXISTS subqueries correlated.

    Visibility checks ("the product is in a published video") are EXISTS subqueries under
    an ORDER BY ... LIMIT. MariaDB otherwise rewrites them to IN and materialises every
    published product first: 2.6 s instead of 0.05 s per page on a million offers.
    MySQL has no such rewrite and no such switch.
    """
    if connection.vendor == "mysql" and connection.mysql_is_mariadb:
        with connection.cursor() as cursor:
            cursor.execute("SET SESSION optimizer_switch='exists_to_in=off'")


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Catalog"

    def ready(self):
        from . import signals
        from .integrations import events

        connection_created.connect(tune_mariadb_session, dispatch_uid="catalog_tune_mariadb")
        signals.connect()
        events.connect()
