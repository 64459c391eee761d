#!/usr/bin/env python3
"""A stand-in for Stripe's API in tests: Checkout Sessions, which localstripe
does not implement, in Stripe's wire format; every other request is forwarded
unchanged to localstripe, so the app has one base URL (`stripe_api_base`).

    stripe-standin.py --port 12111 --upstream http://127.0.0.1:18420 \
        --webhook-secret whsec_farm_local

Stripe's side (https://docs.stripe.com/api/checkout/sessions):
  POST /v1/checkout/sessions            create (mode=payment, line_items with
                                        price_data, metadata,
                                        payment_intent_data[metadata], ...),
                                        honouring Idempotency-Key
  GET  /v1/checkout/sessions/{id}       retrieve
  POST /v1/checkout/sessions/{id}/expire
  GET  /c/pay/{id}                      the session's `url` (a plain page)

Test-only (the person paying, and the provider's webhook delivery):
  POST /_test/checkout/sessions/{id}/complete  JSON {"webhook_url": "...",
      "deliveries": 1}: pays the session with a PaymentIntent created and
      confirmed at localstripe (pm_card_visa, the session's
      payment_intent_data metadata), so refunds of it work there; marks the
      session complete/paid; sends `checkout.session.completed`, signed with
      `Stripe-Signature: t=...,v1=...` under --webhook-secret, to webhook_url
      `deliveries` times (same event id, as Stripe retries do). Answers
      {"session", "event", "deliveries": [{"status", "body"}]}.
  POST /_test/events/{id}/deliver  JSON {"webhook_url"}: sends a stored event
      again, freshly signed.

Python's standard library only (the venv's interpreter runs it next to
localstripe; nothing to build). State is in memory: a restart forgets
sessions, as localstripe forgets its objects (--from-scratch).
"""

import argparse
import hashlib
import hmac
import json
import secrets
import string
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# The API version our objects follow (pay-kit pins the same one).
API_VERSION = "2024-06-20"
# Stripe expires an unpaid session after 24 hours by default.
SESSION_LIFETIME_SECS = 24 * 3600
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer",
              "upgrade", "proxy-authorization", "proxy-authenticate", "host",
              "content-length"}

ALPHANUM = string.ascii_letters + string.digits


def random_id(prefix, n):
    return prefix + "".join(secrets.choice(ALPHANUM) for _ in range(n))


class StripeError(Exception):
    def __init__(self, status, message, kind="invalid_request_error", param=None, code=None):
        super().__init__(message)
        self.status, self.kind, self.param, self.code = status, kind, param, code

    def body(self):
        error = {"type": self.kind, "message": str(self)}
        if self.param:
            error["param"] = self.param
        if self.code:
            error["code"] = self.code
        return {"error": error}


def unflatten(pairs):
    """Stripe's bracketed form keys into nested dicts and lists:
    line_items[0][price_data][currency]=usd -> {"line_items": [{...}]}."""
    root = {}
    for key, value in pairs:
        head, _, rest = key.partition("[")
        path = [head] + ([p.rstrip("]") for p in ("[" + rest).split("[")[1:]] if rest else [])
        node = root
        for i, part in enumerate(path):
            last = i == len(path) - 1
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
                if not isinstance(node, dict):
                    raise StripeError(400, f"Invalid parameter {key}", param=key)

    def lists(node):
        if isinstance(node, dict):
            if node and all(k.isdigit() for k in node):
                return [lists(node[k]) for k in sorted(node, key=int)]
            return {k: lists(v) for k, v in node.items()}
        return node

    return lists(root)


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.sessions = {}
        self.events = {}
        self.idempotency = {}  # (api key, idempotency key) -> (params, session id)
        self.forwarded = {}  # (authorization, idempotency key) -> (request, answer)
        self.forward_locks = {}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "stripe-standin"

    # ------------------------------------------------------------ plumbing
    def log_message(self, fmt, *args):  # one line per request on stderr
        super().log_message(fmt, *args)

    def read_body(self):
        """The request body, whole: by Content-Length, or chunk by chunk when
        it is sent with Transfer-Encoding: chunked (as Stripe accepts)."""
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            body = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return bytes(body)
                body += self.rfile.read(size)
                self.rfile.readline()  # the CRLF after each chunk
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    def send_json(self, status, obj, extra_headers=()):
        body = (json.dumps(obj, indent=2, sort_keys=True) + "\n").encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        for k, v in extra_headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def send_html(self, status, text):
        body = text.encode()
        self.send_response(status)
        self.send_header("content-type", "text/html; charset=utf-8")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def api_key(self):
        auth = self.headers.get("authorization", "")
        scheme, _, key = auth.partition(" ")
        if scheme != "Bearer" or not key.startswith("sk_") or len(key) <= 5:
            raise StripeError(401, "Invalid API Key provided.")
        return key

    def route(self, method):
        path = urllib.parse.urlsplit(self.path).path
        parts = [p for p in path.split("/") if p]
        # Read the whole body first: an answer sent before it is read would
        # leave it on the keep-alive connection as the next "request".
        body = self.read_body()
        try:
            if parts[:3] == ["v1", "checkout", "sessions"]:
                key = self.api_key()
                if method == "POST" and len(parts) == 3:
                    return self.create_session(key, body)
                if method == "GET" and len(parts) == 4:
                    return self.send_json(200, public(self.session(parts[3])))
                if method == "POST" and len(parts) == 5 and parts[4] == "expire":
                    return self.expire_session(parts[3])
                raise StripeError(404, f"Unrecognized request URL ({method}: {path}).")
            if parts[:2] == ["c", "pay"] and len(parts) == 3 and method == "GET":
                return self.pay_page(parts[2])
            if parts[:1] == ["_test"]:
                body = json.loads(body or b"{}")
                if parts[1:3] == ["checkout", "sessions"] and parts[4:] == ["complete"]:
                    return self.complete_session(parts[3], body)
                if parts[1:2] == ["events"] and parts[3:] == ["deliver"]:
                    return self.redeliver(parts[2], body)
                raise StripeError(404, f"No test helper at {path}")
            return self.forward(method, body)
        except StripeError as e:
            self.send_json(e.status, e.body())
        except (ValueError, KeyError) as e:
            self.send_json(400, StripeError(400, f"Bad request: {e}").body())

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def do_DELETE(self):
        self.route("DELETE")

    # ------------------------------------------------------------ forward
    def forward(self, method, body):
        """Sends the request on to localstripe. A POST with Idempotency-Key
        is answered once per (API key, Idempotency-Key), as Stripe does
        (localstripe ignores the header): the same body gets the first
        answer again (`Idempotent-Replayed: true`), another body a 400
        `idempotency_error`, and concurrent duplicates wait for the first."""
        idem = self.headers.get("idempotency-key")
        if method != "POST" or not idem:
            return self.send_upstream(*self.forward_once(method, body))
        state = self.server.state
        slot = (self.headers.get("authorization", ""), idem)
        with state.lock:
            lock = state.forward_locks.setdefault(slot, threading.Lock())
        with lock:
            with state.lock:
                seen = state.forwarded.get(slot)
            if seen is not None:
                (old_path, old_body), answer = seen
                if (old_path, old_body) != (self.path, body):
                    raise StripeError(400, "Keys for idempotent requests can only be used with "
                                      "the same parameters they were first used with.",
                                      kind="idempotency_error")
                return self.send_upstream(*answer, replayed=True)
            answer = self.forward_once(method, body)
            if answer[0] < 500:  # Stripe does not store 5xx answers either
                with state.lock:
                    state.forwarded[slot] = ((self.path, body), answer)
        self.send_upstream(*answer)

    def send_upstream(self, status, data, rheaders, replayed=False):
        self.send_response(status)
        for k, v in rheaders:
            if k.lower() not in HOP_BY_HOP:
                self.send_header(k, v)
        if replayed:
            self.send_header("idempotent-replayed", "true")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def forward_once(self, method, body):
        url = self.server.upstream + self.path
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        request = urllib.request.Request(url, data=body if method != "GET" else None,
                                         headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as r:
                status, data, rheaders = r.status, r.read(), r.headers
        except urllib.error.HTTPError as e:
            status, data, rheaders = e.code, e.read(), e.headers
        except (urllib.error.URLError, OSError) as e:
            raise StripeError(502, f"localstripe unreachable: {e}", kind="api_error")
        return status, data, list(rheaders.items())

    # ------------------------------------------------------------ sessions
    def session(self, sid):
        with self.server.state.lock:
            s = self.server.state.sessions.get(sid)
        if s is None:
            raise StripeError(404, f"No such checkout.session: '{sid}'", param="session",
                              code="resource_missing")
        return s

    def create_session(self, api_key, body):
        pairs = urllib.parse.parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=False)
        params = unflatten(pairs)
        idem = self.headers.get("idempotency-key")
        state = self.server.state
        with state.lock:
            if idem and (api_key, idem) in state.idempotency:
                old_params, sid = state.idempotency[(api_key, idem)]
                if old_params != params:
                    raise StripeError(400, "Keys for idempotent requests can only be used with "
                                      "the same parameters they were first used with.",
                                      kind="idempotency_error")
                return self.send_json(200, public(state.sessions[sid]),
                                      [("idempotent-replayed", "true")])
        session = build_session(params, self.server.public_base)
        with state.lock:
            state.sessions[session["id"]] = session
            if idem:
                state.idempotency[(api_key, idem)] = (params, session["id"])
        self.send_json(200, public(session))

    def expire_session(self, sid):
        with self.server.state.lock:
            s = self.server.state.sessions.get(sid)
            if s is None:
                raise StripeError(404, f"No such checkout.session: '{sid}'", code="resource_missing")
            if s["status"] != "open":
                raise StripeError(400, f"Only open sessions can be expired (status {s['status']}).")
            s["status"], s["url"] = "expired", None
        self.send_json(200, public(s))

    def pay_page(self, sid):
        s = self.session(sid)
        amount = f"{s['amount_total'] / 100:.2f} {s['currency'].upper()}"
        self.send_html(200, f"<!doctype html><title>Test checkout</title>"
                            f"<p>Stand-in checkout {sid}: {amount}, status {s['status']}.</p>")

    # ------------------------------------------------------------ test helpers
    def complete_session(self, sid, body):
        webhook_url = body.get("webhook_url")
        deliveries = int(body.get("deliveries", 1))
        if not webhook_url or not webhook_url.startswith("http") or not 0 <= deliveries <= 10:
            raise StripeError(400, "Send {\"webhook_url\": \"http...\", \"deliveries\": 0..10}.")
        state = self.server.state
        with state.lock:
            s = state.sessions.get(sid)
            if s is None:
                raise StripeError(404, f"No such checkout.session: '{sid}'", code="resource_missing")
            if s["status"] != "open":
                raise StripeError(400, f"The session is {s['status']}, not open.")
            s["status"] = "complete"  # claimed: a concurrent complete is refused
        form = [("amount", str(s["amount_total"])), ("currency", s["currency"]),
                ("payment_method", "pm_card_visa"), ("confirm", "true")]
        if s.get("customer"):
            form.append(("customer", s["customer"]))
        for k, v in s["_payment_intent_metadata"].items():
            form.append((f"metadata[{k}]", v))
        status, pi = self.upstream_post("/v1/payment_intents", form)
        if status != 200 or pi.get("status") != "succeeded":
            with state.lock:
                s["status"] = "open"
            raise StripeError(502, f"localstripe did not pay: {status} {pi}", kind="api_error")
        with state.lock:
            s.update(payment_intent=pi["id"], payment_status="paid", url=None)
            event = {
                "id": random_id("evt_", 24), "object": "event", "api_version": API_VERSION,
                "created": int(time.time()), "livemode": False, "pending_webhooks": 1,
                "request": {"id": None, "idempotency_key": None},
                "type": "checkout.session.completed",
                "data": {"object": public(s)},
            }
            state.events[event["id"]] = event
        results = [self.deliver(event, webhook_url) for _ in range(deliveries)]
        self.send_json(200, {"session": public(s), "event": event, "deliveries": results})

    def redeliver(self, eid, body):
        with self.server.state.lock:
            event = self.server.state.events.get(eid)
        if event is None:
            raise StripeError(404, f"No such event: '{eid}'", code="resource_missing")
        if not str(body.get("webhook_url", "")).startswith("http"):
            raise StripeError(400, "Send {\"webhook_url\": \"http...\"}.")
        self.send_json(200, {"event": event, "deliveries": [self.deliver(event, body["webhook_url"])]})

    def deliver(self, event, url):
        payload = json.dumps(event, indent=2, sort_keys=True).encode()
        t = int(time.time())
        sig = hmac.new(self.server.webhook_secret, b"%d." % t + payload, hashlib.sha256).hexdigest()
        request = urllib.request.Request(url, data=payload, method="POST", headers={
            "content-type": "application/json; charset=utf-8",
            "stripe-signature": f"t={t},v1={sig}",
            "user-agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)"})
        try:
            with urllib.request.urlopen(request, timeout=30) as r:
                return {"status": r.status, "body": r.read().decode(errors="replace")}
        except urllib.error.HTTPError as e:
            return {"status": e.code, "body": e.read().decode(errors="replace")}
        except (urllib.error.URLError, OSError) as e:
            return {"status": 0, "body": str(e)}

    def upstream_post(self, path, form):
        request = urllib.request.Request(
            self.server.upstream + path, data=urllib.parse.urlencode(form).encode(), method="POST",
            headers={"authorization": self.headers.get("authorization") or "Bearer sk_test_standin",
                     "content-type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(request, timeout=30) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")


def public(session):
    return {k: v for k, v in session.items() if not k.startswith("_")}


def build_session(p, public_base):
    def need(cond, message, param):
        if not cond:
            raise StripeError(400, message, param=param)

    need(p.get("mode") == "payment", "This stand-in supports mode=payment only.", "mode")
    items = p.get("line_items")
    need(isinstance(items, list) and len(items) >= 1, "Missing required param: line_items.",
         "line_items")
    currency, total = None, 0
    for i, item in enumerate(items):
        pd = item.get("price_data") if isinstance(item, dict) else None
        need(isinstance(pd, dict), "line_items need price_data.", f"line_items[{i}][price_data]")
        c = pd.get("currency", "")
        need(len(c) == 3 and c.isalpha(), "Invalid currency.",
             f"line_items[{i}][price_data][currency]")
        need(currency in (None, c.lower()), "All line items must share one currency.",
             f"line_items[{i}][price_data][currency]")
        currency = c.lower()
        amount, qty = pd.get("unit_amount", ""), item.get("quantity", "")
        need(amount.isdigit(), "Invalid integer: unit_amount.",
             f"line_items[{i}][price_data][unit_amount]")
        need(qty.isdigit() and int(qty) >= 1, "Invalid integer: quantity.", f"line_items[{i}][quantity]")
        name = (pd.get("product_data") or {}).get("name") if isinstance(pd.get("product_data"), dict) else None
        need(bool(name), "Missing required param: product_data[name].",
             f"line_items[{i}][price_data][product_data][name]")
        total += int(amount) * int(qty)
    for url in ("success_url", "cancel_url"):
        need(str(p.get(url, "")).startswith("http"), f"Not a valid URL: {url}.", url)
    metadata = p.get("metadata") or {}
    pi_data = p.get("payment_intent_data") or {}
    need(isinstance(metadata, dict), "Invalid metadata.", "metadata")
    need(isinstance(pi_data, dict) and isinstance(pi_data.get("metadata", {}), dict),
         "Invalid payment_intent_data.", "payment_intent_data")
    customer = p.get("customer")
    need(customer is None or customer.startswith("cus_"), "Invalid customer.", "customer")
    now = int(time.time())
    sid = random_id("cs_test_", 58)
    return {
        "id": sid, "object": "checkout.session", "mode": "payment", "livemode": False,
        "amount_subtotal": total, "amount_total": total, "currency": currency,
        "client_reference_id": p.get("client_reference_id"), "customer": customer,
        "metadata": metadata, "payment_intent": None, "payment_status": "unpaid",
        "status": "open", "success_url": p["success_url"], "cancel_url": p["cancel_url"],
        "created": now, "expires_at": now + SESSION_LIFETIME_SECS,
        "url": f"{public_base}/c/pay/{sid}",
        "_payment_intent_metadata": pi_data.get("metadata", {}),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=12111)
    ap.add_argument("--upstream", default="http://127.0.0.1:18420", help="localstripe's URL")
    ap.add_argument("--webhook-secret", default="whsec_farm_local")
    args = ap.parse_args()
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    server.state = State()
    server.upstream = args.upstream.rstrip("/")
    server.public_base = f"http://{args.host}:{args.port}"
    server.webhook_secret = args.webhook_secret.encode()
    print(f"stripe-standin on {server.public_base}, forwarding to {server.upstream}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
