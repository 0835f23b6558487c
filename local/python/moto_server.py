"""moto's AWS stand-ins served by waitress instead of the Werkzeug development server. The local
stack runs two of these processes: one for DynamoDB (on the DynamoDB port) and one for the rest
(S3, SNS, SQS, Secrets Manager, Glue, Cognito), so neither's state slows the other.

Werkzeug's server answers every request with `Connection: close` (it disables keep-alive on
purpose), so every SDK call would open a new TCP connection. AWS keeps connections alive and
the SDK reuses them; waitress does the same, so the local stack costs the pipeline what AWS
would, and benchmarks measure the pipeline rather than connection set-up.

Usage: python moto_server.py --role aws -H 127.0.0.1 -p 5000
"""
import argparse
import os
import sys

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from waitress import serve


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--role", default="aws", help="a name for logs and for the supervisor's pid check")
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=16)
    args = parser.parse_args(argv)
    # moto builds queue URLs and presigned URLs from this.
    os.environ.setdefault("MOTO_PORT", str(args.port))
    app = DomainDispatcherApplication(create_backend_app)
    print(f"moto [{args.role}] (waitress, keep-alive) on http://{args.host}:{args.port}", flush=True)
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
