"""The site, plus /__frozen/ answering how many objects its worker froze (gunicorn tests)."""

import gc

from inspired_site.wsgi import application as site


def application(environ, start_response):
    if environ["PATH_INFO"] == "/__frozen/":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [str(gc.get_freeze_count()).encode()]
    return site(environ, start_response)
