#!/usr/bin/env python3
"""An SMTP sink for the alert e-mail tests (aiosmtpd): stores every message in the Maildir DIR.

Usage: smtp_sink.py DIR. Listens on 127.0.0.1 (a free port, printed on the first stdout line)
until terminated.
"""
import socket
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox

probe = socket.socket()
probe.bind(("127.0.0.1", 0))
port = probe.getsockname()[1]
probe.close()
controller = Controller(Mailbox(sys.argv[1]), hostname="127.0.0.1", port=port)
controller.start()
print(port, flush=True)
try:
    while True:
        time.sleep(3600)
finally:
    controller.stop()
