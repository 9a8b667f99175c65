"""How fast one official's pages render: an official with 200 completions, certified, in continuing education
and enrolled in a second programme, each page requested through the Flask test client (server time only).

Prints milliseconds per page (p50 and p95 over the repetitions) and the number of SQL statements per page.
The target is under 50 ms per page; the figure is printed, never asserted.

    .venv/bin/python bench/pages.py [--completions 200] [--repeat 30] [--seed 7] [--gc-freeze]

The slow tail (p95) is mostly Python's full garbage collections; `--gc-freeze` freezes the objects made at
start-up, as a server that preloads the app can, so collections skip them.
"""

from __future__ import annotations

import argparse
import gc
import datetime as dt
import random
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event  # noqa: E402

from lti_tool import create_app, keys, migrate  # noqa: E402
from lti_tool.db import db  # noqa: E402
from lti_tool.models import Activity, Deployment, FeePayment, Launch, Official, Platform, utcnow  # noqa: E402
from lti_tool.services.catalogue import sync_catalogue  # noqa: E402
from lti_tool.services.certification import refresh_certifications  # noqa: E402
from lti_tool.services.completions import record_completion  # noqa: E402
from lti_tool.services.enrollments import EnrollmentError, enroll  # noqa: E402
from lti_tool.services.officials import add_municipality  # noqa: E402
from lti_tool.rulebook import current_rulebook  # noqa: E402

LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
ADMIN = "http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator"


def build_official(session, completions: int, rng: random.Random) -> tuple[Official, str, str]:
    """One official with `completions` CCM workshop completions over three years; returns it and two launch ids."""
    book = current_rulebook()
    sync_catalogue(session, book, actor="bench")
    platform = Platform(name="Bench Moodle", issuer="https://lms.example.org", client_id="bench",
                        auth_login_url="https://lms.example.org/auth", auth_token_url="https://lms.example.org/token",
                        keyset_url="https://lms.example.org/certs")
    session.add(platform)
    session.flush()
    deployment = Deployment(platform_id=platform.id, deployment_id="1", active=True)
    session.add(deployment)
    town = add_municipality(session, "Hartford", ccm_member=True, actor="bench")
    official = Official(platform_id=platform.id, sub="bench-1", name="Bench Official", municipality_id=town.id)
    admin = Official(platform_id=platform.id, sub="bench-admin", name="Bench Admin")
    session.add_all([official, admin])
    session.flush()
    today = dt.date.today()
    start = today - dt.timedelta(days=3 * 365)
    enroll(session, official, "ccmo", book, actor="bench", enrolled_on=start)
    workshops = [a for a in session.query(Activity).all() if a.provider == "ccm" and a.hours is not None]
    for index in range(completions):
        activity = rng.choice(workshops)
        day = start + dt.timedelta(days=rng.randrange((today - start).days))
        record_completion(session, official=official, activity=activity, completed_on=day, source="import",
                          source_key=f"bench:{index}", recorded_by="bench")
    for year in range(start.year + 1, today.year + 1):  # the yearly continuing-education fee, paid each January
        session.add(FeePayment(official_id=official.id, program="ccmo", purpose="continuing_education",
                               amount_cents=7500, paid_on=dt.date(year, 1, 10), recorded_by="bench"))
    session.flush()
    refresh_certifications(session, official, book, as_of=today, actor="bench")
    try:
        enroll(session, official, "ccpl", book, actor="bench", enrolled_on=today - dt.timedelta(days=30))
    except EnrollmentError as exc:
        print(f"(no CCPL enrollment: {exc}; {'; '.join(exc.reasons)})")
    launches = []
    for person, role in ((official, LEARNER), (admin, ADMIN)):
        launch = Launch(platform_id=platform.id, deployment_id=deployment.id, official_id=person.id,
                        message_type="LtiResourceLinkRequest", roles=[role], claims={},
                        expires_at=utcnow() + dt.timedelta(hours=2))
        session.add(launch)
        session.flush()
        launches.append(launch.id)
    return official, launches[0], launches[1]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--completions", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--gc-freeze", action="store_true", help="gc.freeze() once the data is built")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        migrate.upgrade(url)
        app = create_app({"DATABASE_URL": url, "INSTANCE_DIR": f"{folder}/instance", "KEYS_DIR": f"{folder}/keys",
                          "SECRET_KEY": secrets.token_hex(16), "TESTING": True})
        with app.app_context():
            with db.transaction() as session:
                keys.generate_key(session, app.config["KEYS_DIR"], actor="bench")
                official, learner_launch, admin_launch = build_official(session, options.completions,
                                                                        random.Random(options.seed))
                official_id = official.id
            db.remove()
        if options.gc_freeze:
            gc.collect()
            gc.freeze()
        statements = [0]
        event.listen(db.engine, "before_cursor_execute", lambda *args: statements.__setitem__(0, statements[0] + 1))
        client = app.test_client()
        pages = [
            ("learner: progress", "/learner/progress", learner_launch),
            ("learner: enroll", "/learner/enroll", learner_launch),
            ("learner: transcript", "/learner/transcript", learner_launch),
            ("learner: transcript.csv", "/learner/transcript.csv", learner_launch),
            ("admin: official record", f"/admin/officials/{official_id}", admin_launch),
        ]
        print(f"One official, {options.completions} completions; {options.repeat} requests per page "
              f"(server time, Flask test client, SQLite{', gc frozen' if options.gc_freeze else ''})")
        print(f"{'page':28} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
        for label, path, launch_id in pages:
            assert client.get(path, query_string={"launch": launch_id}).status_code == 200, path
            timings = []
            for _ in range(options.repeat):
                statements[0] = 0
                began = time.perf_counter()
                response = client.get(path, query_string={"launch": launch_id})
                timings.append((time.perf_counter() - began) * 1000)
                assert response.status_code == 200
            print(f"{label:28} {statistics.median(timings):8.1f} {percentile(timings, 0.95):8.1f} {statements[0]:8d}")
        db.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
