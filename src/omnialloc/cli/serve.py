"""``omnialloc serve`` (the HTTP API under gunicorn) and ``omnialloc banner`` (where it is, for `make run`)."""

from __future__ import annotations

import click

from omnialloc.config import get_settings


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
@click.option("--threads", default=2, show_default=True, type=int, help="threads per worker (gthread workers)")
@click.option("--access-log", is_flag=True, help="log every request to standard output")
def serve(host: str, port: int, workers: int, threads: int, access_log: bool) -> None:
    """Serve the HTTP API with gunicorn: gthread workers, one listening socket per worker (see
    omnialloc.api.serving for why)."""
    import os

    from omnialloc.api.serving import gunicorn_argv, metrics_env, port_taken

    if port_taken(host, port):
        raise click.ClickException(f"{host}:{port} is already served by another process; stop it or pick "
                                   "another --port")
    get_settings()  # unusable settings stop here, with one line per problem, before gunicorn starts
    argv = gunicorn_argv(host=host, port=port, workers=workers, threads=threads, access_log=access_log)
    os.execve(argv[0], argv, metrics_env(os.environ))


@click.command()
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=8000, type=int)
@click.option("--key-file", default=None, help="Where load-demo wrote the demo admin key (default: var/demo-admin-key "
              "under the current folder, where load-demo writes it).")
def banner(host: str, port: int, key_file: str | None) -> None:
    """Print where the console and the API are, where the demo admin key is, and one request (for `make run`)."""
    from pathlib import Path

    from omnialloc.services.network.demo import DEFAULT_KEY_FILE

    base = f"http://{host}:{port}"
    path = Path(key_file) if key_file else DEFAULT_KEY_FILE
    shown = path.resolve()
    click.echo(f"\nomnialloc console: {base}/console/  (log in with the demo admin key)\n"
               f"omnialloc API:     {base}\nAPI docs:          {base}/docs\n")
    if path.is_file():
        click.echo(f"Demo admin key: in {shown} (written by `omnialloc load-demo`; not printed here):\n"
                   f"  cat {shown}\n")
    else:
        click.echo(f"Demo admin key: none at {shown} yet; `omnialloc load-demo` writes it there.\n")
    click.echo("Create an order:")
    click.echo(
        f"  curl -s -X POST {base}/orders -H 'Content-Type: application/json' "
        f"-H \"Authorization: Bearer $(cat {shown})\" "
        "-d '{\"channel\":\"web\",\"external_id\":\"demo-1\",\"payment_mode\":\"PREPAID\","
        "\"ship_to\":{\"name\":\"Asha\",\"line1\":\"12 Anna Salai\",\"city\":\"Chennai\",\"pin\":\"600002\","
        "\"phone\":\"+919800000001\",\"email\":\"asha@example.com\"},"
        "\"lines\":[{\"sku\":\"SKU-0001\",\"qty\":1}]}'\n"
    )


COMMANDS = (serve, banner)
