"""`lti-tool serve`: the production web server (gunicorn)."""

from __future__ import annotations

import gc

import click


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64), help="Worker processes.")
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 64), help="Threads per worker.")
def serve_command(host: str, port: int, workers: int, threads: int) -> None:
    """Serve the tool with gunicorn (on SQLite, the outbox runs inside it too)."""
    from gunicorn.app.base import BaseApplication

    from .. import create_app

    class ToolServer(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("accesslog", None)
            self.cfg.set("timeout", 60)
            self.cfg.set("graceful_timeout", 10)

        def load(self):
            app = create_app()
            if app.config["RUN_OUTBOX_IN_PROCESS"] or app.config["DATABASE_URL"].startswith("sqlite"):
                # Every worker process offers; a lock file lets one of them run the outbox at a time.
                from .worker import start_background_worker

                start_background_worker(app)
            # Everything loaded so far lives as long as the process: keep it out of the collector's
            # full passes, which otherwise add tens of milliseconds to some requests.
            gc.freeze()
            return app

    ToolServer().run()
