"""A Countercyclical webhook receiver for Python 3.9+, standard library only.

    WEBHOOK_SECRET=whsec_... PORT=4000 python3 receiver_python.py

Or import it: ``verify_webhook`` checks one delivery (use it from Flask, Django, FastAPI...: pass
the request headers and the raw body bytes, before any JSON parsing). CI runs this very file against
real deliveries from the platform when python3 is installed (test/e2e/receiver-snippets.spec.ts).
"""

import base64
import binascii
import hashlib
import hmac
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Deliveries whose webhook-timestamp is further than this from now are refused (replays).
TOLERANCE_SECONDS = 5 * 60
MAX_BODY_BYTES = 1024 * 1024


class WebhookVerificationError(Exception):
    pass


def verify_webhook(secret, headers, body, tolerance_seconds=TOLERANCE_SECONDS, now=None):
    """Returns the parsed event, or raises WebhookVerificationError.

    secret:  the webhook's signing secret, "whsec_<base64>"
    headers: a mapping with case-insensitive ``get`` (http.server, Flask, Django's request.headers)
    body:    the raw request body (bytes) exactly as received
    """
    msg_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not msg_id or not timestamp or not signatures:
        raise WebhookVerificationError("missing webhook-id, webhook-timestamp or webhook-signature")
    now = time.time() if now is None else now
    if not (timestamp.isascii() and timestamp.isdigit()) or abs(now - int(timestamp)) > tolerance_seconds:
        raise WebhookVerificationError("webhook-timestamp is too far from now")
    key = base64.b64decode(secret[len("whsec_"):] if secret.startswith("whsec_") else secret)
    expected = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    # One "v1,<base64>" per live secret, space-separated (two while a rotated-out secret still signs).
    for entry in signatures.split(" "):
        version, _, signature = entry.partition(",")
        if version != "v1":
            continue
        try:
            given = base64.b64decode(signature, validate=True)
        except binascii.Error:
            continue
        if hmac.compare_digest(given, expected):
            return json.loads(body)
    raise WebhookVerificationError("no valid signature")


class WebhookHandler(BaseHTTPRequestHandler):
    """Verify, skip an event already processed (delivery is at-least-once), handle, answer 204."""

    secret = ""
    # In production keep processed ids in your database (a unique column), not in memory.
    processed = set()

    def do_POST(self):
        length = int(self.headers.get("content-length") or 0)
        if length > MAX_BODY_BYTES:
            self.send_response(413)
            self.end_headers()
            return
        body = self.rfile.read(length)
        try:
            event = verify_webhook(self.secret, self.headers, body)
        except WebhookVerificationError as err:
            self.send_response(400)
            self.send_header("content-type", "text/plain")
            self.end_headers()
            self.wfile.write(str(err).encode())
            return
        if event["id"] not in self.processed:
            self.handle_event(event)  # raise to answer 500: the platform retries later
            self.processed.add(event["id"])
        self.send_response(204)
        self.end_headers()

    def handle_event(self, event):
        print(f"verified {event['id']} {event['type']}", json.dumps(event["data"]["object"]), flush=True)

    def log_message(self, *args):
        pass  # quiet: one line per event is printed by handle_event


if __name__ == "__main__":
    WebhookHandler.secret = os.environ.get("WEBHOOK_SECRET") or sys.exit("Set WEBHOOK_SECRET to the webhook secret (whsec_...)")
    # HOST=0.0.0.0 to accept deliveries from another machine or a container.
    server = ThreadingHTTPServer((os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "4000"))), WebhookHandler)
    print(f"listening on {server.server_address[1]}", flush=True)
    server.serve_forever()
