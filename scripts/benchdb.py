"""What the benchmark scripts share: the MariaDB database they fill, made if missing."""

from django.conf import settings


def create_mysql_database() -> bool:
    """Create the MariaDB/MySQL database DATABASE_URL names, if missing; return False
    when the default database is not MariaDB/MySQL."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.mysql":
        return False
    import MySQLdb

    server = MySQLdb.connect(
        host=db["HOST"] or "127.0.0.1",
        port=int(db["PORT"] or 3306),
        user=db["USER"],
        password=db["PASSWORD"] or "",
    )
    try:
        server.cursor().execute(
            f"CREATE DATABASE IF NOT EXISTS `{db['NAME']}` CHARACTER SET utf8mb4 "
            "COLLATE utf8mb4_unicode_ci"
        )
    finally:
        server.close()
    return True
