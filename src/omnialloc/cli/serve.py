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
def banner(host: str, port: int) -> None:
    """Print where the API is and one copy-paste request (used by `make run`)."""
    base = f"http://{host}:{port}"
    click.echo(f"\nomnialloc API: {base}\nAPI docs:      {base}/docs\n")
    click.echo("Create an order (the demo admin key is printed by `load-demo` and stored in var/demo-admin-key):")
    click.echo(
        f"  curl -s -X POST {base}/orders -H 'Content-Type: application/json' "
        "-H \"Authorization: Bearer $(cat var/demo-admin-key)\" "
        "-d '{\"channel\":\"web\",\"external_id\":\"demo-1\",\"payment_mode\":\"PREPAID\","
        "\"ship_to\":{\"name\":\"Asha\",\"line1\":\"12 Anna Salai\",\"city\":\"Chennai\",\"pin\":\"600002\","
        "\"phone\":\"+919800000001\",\"email\":\"asha@example.com\"},"
        "\"lines\":[{\"sku\":\"SKU-0001\",\"qty\":1}]}'\n"
    )


COMMANDS = (serve, banner)
