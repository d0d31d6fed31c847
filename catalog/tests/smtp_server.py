"""A small SMTP server on 127.0.0.1 that refuses its first `refuse` sessions (421)."""

import contextlib
import socketserver
import threading


class SMTPHandler(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self):
        server = self.server
        if server.refuse > 0:
            server.refuse -= 1
            server.refused += 1
            self.reply("421 Service not available, try again later")
            return
        self.reply("220 shop.test ESMTP")
        while line := self.rfile.readline():
            command = line.decode().strip().upper()
            if command.startswith(("EHLO", "HELO")):
                self.reply("250 shop.test")
            elif command.startswith(("MAIL", "RCPT", "RSET", "NOOP")):
                self.reply("250 OK")
            elif command == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                data = []
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data.append(chunk)
                server.messages.append(b"".join(data).decode())
                self.reply("250 OK queued")
            elif command == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Command not implemented")


@contextlib.contextmanager
def running_smtp(refuse: int = 0):
    """Yield the server (its port, `.messages` and `.refused`) on a free 127.0.0.1 port."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), SMTPHandler)
    server.daemon_threads = True
    server.refuse, server.refused, server.messages = refuse, 0, []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
