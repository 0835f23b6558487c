"""moto's AWS stand-ins served by waitress instead of the Werkzeug development server. The local
stack runs two of these processes: one for DynamoDB (on the DynamoDB port) and one for the rest
(S3, SNS, SQS, Secrets Manager, Glue, Cognito), so neither's state slows the other.

Werkzeug's server answers every request with `Connection: close` (it disables keep-alive on
purpose), so every SDK call would open a new TCP connection. AWS keeps connections alive and
the SDK reuses them; waitress does the same, so the local stack costs the pipeline what AWS
would, and benchmarks measure the pipeline rather than connection set-up.

The DynamoDB role serves one request at a time (`--serial`, on by default for that role):
DynamoDB's conditional writes are atomic per item, but moto checks a condition and applies the
update as separate steps with no lock, so two concurrent conditional UpdateItems on one item can
both succeed (measured with moto 5.2.5: 5 of 40 rounds of 8 concurrent `status = RECEIVED`
updates had more than one winner). The pipeline's exactly-once rests on those conditions, so the
stand-in must keep them. Connections are still accepted and read on waitress's threads.

Usage: python moto_server.py --role aws -H 127.0.0.1 -p 5000
"""
import argparse
import os
import sys
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from waitress import serve


def serialised(app):
    """The WSGI app behind one lock: moto's backend sees one request at a time. moto builds each
    response whole before returning it, so the lock covers the entire operation."""
    lock = threading.Lock()

    def handle(environ, start_response):
        with lock:
            return app(environ, start_response)

    return handle


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--role", default="aws", help="a name for logs and for the supervisor's pid check")
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--serial", choices=["auto", "on", "off"], default="auto", help="one request at a time (auto: on for the dynamodb role)")
    args = parser.parse_args(argv)
    # moto builds queue URLs and presigned URLs from this.
    os.environ.setdefault("MOTO_PORT", str(args.port))
    app = DomainDispatcherApplication(create_backend_app)
    serial = args.serial == "on" or (args.serial == "auto" and args.role == "dynamodb")
    if serial:
        app = serialised(app)
    print(f"moto [{args.role}] (waitress, keep-alive{', serial' if serial else ''}) on http://{args.host}:{args.port}", flush=True)
    serve(
        app,
        host=args.host,
        port=args.port,
        threads=args.threads,
        # Many test workers each keep a pool of sockets open; the default of 100 is too few.
        connection_limit=1000,
        # poll() instead of select(): no 1024-descriptor ceiling.
        asyncore_use_poll=True,
        ident="moto",
        expose_tracebacks=False,
        _quiet=True,
    )


if __name__ == "__main__":
    main(sys.argv[1:])
