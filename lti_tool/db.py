"""The database: one engine per process, one session per request, job or command."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, scoped_session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 10_000


def make_engine(url: str) -> Engine:
    """Create an engine tuned for a web server on SQLite or PostgreSQL."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _tune_sqlite)
        event.listen(engine, "begin", _begin_immediate)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


def _tune_sqlite(dbapi_connection, _record) -> None:
    # Take transaction control away from the sqlite3 module so SAVEPOINTs work (see _begin_immediate).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _begin_immediate(connection) -> None:
    # Several processes write to one SQLite file: a deferred transaction that reads and then
    # writes fails at once if another process wrote in between, whatever the busy timeout.
    # Taking the write lock at BEGIN makes such transactions wait their turn instead.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """The SQLAlchemy engine and session registry bound to one Flask app (or to a command)."""

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self._sessions: scoped_session | None = None

    def init_app(self, app) -> None:
        """Bind to the app's DATABASE_URL and close the request's session when it ends."""
        self.configure(app.config["DATABASE_URL"])
        app.extensions["database"] = self

        @app.teardown_appcontext
        def _remove_session(_exc) -> None:
            self.remove()

    def configure(self, url: str) -> None:
        """Create the engine and session factory for a database URL."""
        if self.engine is not None and str(self.engine.url) == url:
            return
        if self.engine is not None:
            self.engine.dispose()
        self.engine = make_engine(url)
        self._sessions = scoped_session(sessionmaker(bind=self.engine, expire_on_commit=False))

    @property
    def session(self) -> Session:
        """The session of the current thread (request, job or command)."""
        if self._sessions is None:
            raise RuntimeError("the database is not configured: call init_app() or configure() first")
        return self._sessions()

    def remove(self) -> None:
        """Roll back anything uncommitted and release the current thread's session."""
        if self._sessions is not None:
            self._sessions.remove()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """Run a unit of work: commit on success, roll back on error."""
        session = self.session
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise

    def ping(self) -> None:
        """Raise if the database cannot answer a trivial query."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    @property
    def is_sqlite(self) -> bool:
        return self.engine is not None and self.engine.dialect.name == "sqlite"


db = Database()
