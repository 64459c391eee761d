#!/usr/bin/env python3
"""Runs localstripe (PyPI) for tests: bound to loopback only, state in memory.

localstripe's own entry point listens on every interface ('::') and writes
its whole store to /tmp/localstripe.pickle after each change, one file shared
by every instance on the machine and rewritten in full on each write. Here
its aiohttp app is served on 127.0.0.1 and the pickle is never written or
read; everything else is localstripe as published.

    localstripe-serve.py --port 18420
"""

import argparse
import logging

from aiohttp import web

import localstripe.resources
from localstripe.server import app

# Memory only: no shared file, no full rewrite per object.
localstripe.resources.Store.dump_to_disk = lambda self: None
localstripe.resources.Store.try_load_from_disk = lambda self: None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=18420)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO)
    web.run_app(app, host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
