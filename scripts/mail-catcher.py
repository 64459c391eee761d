#!/usr/bin/env python3
"""The loopback mail catcher for local runs and tests.

An SMTP server (aiosmtpd, RFC 5321) that accepts every message and keeps it
in memory, and a small HTTP endpoint to read what arrived:

    GET    /messages            every message, oldest first (JSON list)
    GET    /messages?to=ADDR    only messages whose envelope recipients include ADDR
    DELETE /messages            forget everything

Each message: {"id", "received_at" (Unix seconds), "mail_from", "rcpt_tos",
"subject", "message_id", "text" (the text/plain body, decoded)}.

    mail-catcher.py --smtp-port 11025 --http-port 11080

Started by scripts/services.sh; nothing here is used in production.
"""
import argparse
import email
import email.policy
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from aiosmtpd.controller import Controller

# Oldest messages are dropped past this many, so a long-running catcher
# shared by many test runs stays small.
MAX_KEPT = 5000

messages = []
lock = threading.Lock()
counter = 0


class Keep:
    async def handle_DATA(self, server, session, envelope):
        global counter
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain",))
        with lock:
            counter += 1
            messages.append({
                "id": counter,
                "received_at": time.time(),
                "mail_from": envelope.mail_from,
                "rcpt_tos": [r.lower() for r in envelope.rcpt_tos],
                "subject": str(msg.get("subject", "")),
                "message_id": str(msg.get("message-id", "")),
                "text": body.get_content() if body is not None else "",
            })
            del messages[:-MAX_KEPT]
        return "250 Message accepted for delivery"


class Api(BaseHTTPRequestHandler):
    def do_GET(self):
        url = urlparse(self.path)
        if url.path != "/messages":
            return self.reply(404, {"error": "not_found"})
        to = parse_qs(url.query).get("to", [None])[0]
        with lock:
            found = [m for m in messages if to is None or to.lower() in m["rcpt_tos"]]
        self.reply(200, found)

    def do_DELETE(self):
        if urlparse(self.path).path != "/messages":
            return self.reply(404, {"error": "not_found"})
        with lock:
            messages.clear()
        self.reply(200, {"deleted": True})

    def reply(self, status, value):
        body = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--smtp-port", type=int, default=11025)
    parser.add_argument("--http-port", type=int, default=11080)
    args = parser.parse_args()
    smtp = Controller(Keep(), hostname=args.host, port=args.smtp_port)
    smtp.start()
    print(f"mail-catcher: smtp {args.host}:{args.smtp_port}, http {args.host}:{args.http_port}", flush=True)
    try:
        ThreadingHTTPServer((args.host, args.http_port), Api).serve_forever()
    finally:
        smtp.stop()


if __name__ == "__main__":
    main()
