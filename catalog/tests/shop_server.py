"""A real HTTP server on 127.0.0.1 that plays a retailer's site, one path per case."""

import contextlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SLOW_SECONDS = 3
HUGE_BYTES = 20_000_000


def product_page(offer: dict | None = None, title: str = "Blue shirt") -> bytes:
    script = ""
    if offer is not None:
        data = {
            "@context": "https://schema.org",
            "@type": "Product",
            "name": title,
            "offers": {"@type": "Offer", **offer},
        }
        script = f'<script type="application/ld+json">{json.dumps(data)}</script>'
    return (
        f"<!doctype html><html><head><title>{title}</title>{script}</head>"
        f"<body><h1>{title}</h1></body></html>"
    ).encode()


PAGES = {
    "/p/ok": product_page(),
    "/p/trailing": product_page(),
    "/p/other-shirt": product_page(title="Other shirt"),
    "/p/new-price": product_page(
        {"price": "17.50", "priceCurrency": "EUR", "availability": "https://schema.org/InStock"}
    ),
    "/p/sold-out": product_page(
        {"price": "20.00", "priceCurrency": "USD", "availability": "https://schema.org/OutOfStock"}
    ),
    "/p/head-refused": product_page(
        {"price": 12, "priceCurrency": "USD", "availability": "InStock"}
    ),
    "/": b"<!doctype html><title>Home</title><h1>Welcome</h1>",
    "/shop/shirts": b"<!doctype html><title>Shirts</title><h1>All shirts</h1>",
}

REDIRECTS = {
    "/p/chain-1": "/p/chain-2",
    "/p/chain-2": "/p/chain-3",
    "/p/chain-3": "/p/other-shirt",
    "/p/trailing": "/p/trailing/",
    "/p/loop-a": "/p/loop-b",
    "/p/loop-b": "/p/loop-a",
    "/p/discontinued": "/",
    "/shop/shirts/old-blue-shirt": "/shop/shirts",
    "/p/to-private": "http://10.0.0.1/admin",
    "/p/to-metadata": "http://169.254.169.254/latest/meta-data/",
}
REDIRECTS.update({f"/p/hop-{n}": f"/p/hop-{n + 1}" for n in range(20)})


class ShopHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        pass

    def do_HEAD(self):
        self.server.requests.append(("HEAD", self.path, self.headers.get("User-Agent")))
        if self.path == "/p/head-refused":
            self.send_plain(405, b"")
        else:
            self.respond(send_body=False)

    def do_GET(self):
        self.server.requests.append(("GET", self.path, self.headers.get("User-Agent")))
        self.respond(send_body=True)

    def send_plain(self, status, body, content_type="text/html; charset=utf-8", send_body=True):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def respond(self, send_body):
        path = self.path.rstrip("/") or "/"
        try:
            if self.path in REDIRECTS:
                self.send_response(302)
                self.send_header("Location", REDIRECTS[self.path])
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif path in PAGES:
                self.send_plain(200, PAGES[path], send_body=send_body)
            elif path == "/p/missing":
                self.send_plain(404, b"<h1>Not found</h1>", send_body=send_body)
            elif path == "/p/error":
                self.send_plain(500, b"<h1>Server error</h1>", send_body=send_body)
            elif path == "/p/slow":
                time.sleep(SLOW_SECONDS)
                self.send_plain(200, PAGES["/p/ok"], send_body=send_body)
            elif path == "/p/huge":
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(HUGE_BYTES))
                self.end_headers()
                if send_body:
                    chunk = b"<p>" + b"x" * 65_000 + b"</p>"
                    sent = 0
                    while sent < HUGE_BYTES:
                        self.wfile.write(chunk)
                        sent += len(chunk)
            else:
                self.send_plain(404, b"<h1>Not found</h1>", send_body=send_body)
        except (BrokenPipeError, ConnectionResetError):
            # The checker hangs up on purpose (huge body, timeout).
            pass


@contextlib.contextmanager
def running_shop(tls_context=None):
    """Serve the shop on 127.0.0.1 on a free port; yield its base URL and request log."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), ShopHandler)
    if tls_context is not None:
        server.socket = tls_context.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.requests
    finally:
        server.shutdown()
        server.server_close()
