"""The Moodle site behind the emulator: users, courses, enrolments, resource links and the gradebook.

Grade rules follow Moodle 4.5's gradebook services: scores are rescaled to the line item's maximum and
stored with 5 decimals, bounded to [0, maximum]; a score whose timestamp (truncated to the second) is not
later than the stored one is refused with 409; only users enrolled as learners can receive scores; a score
that is not ``FullyGraded`` clears the grade.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

ROLE_URI_PREFIX = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
LEARNER = "Learner"
INSTRUCTOR = "Instructor"

ISO8601_TIMESTAMP = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?$"
)


@dataclass
class User:
    """A Moodle user account."""

    user_id: str
    given_name: str
    family_name: str
    email: str
    username: str
    sourcedid: str = ""

    @property
    def name(self) -> str:
        """Full name as Moodle composes it."""
        return f"{self.given_name} {self.family_name}".strip()


def short_role(role: str) -> str:
    """`Learner` for both `Learner` and its full membership URI."""
    return role[len(ROLE_URI_PREFIX):] if role.startswith(ROLE_URI_PREFIX) else role


def role_uri(role: str) -> str:
    """The full LIS URI of a role given by short name (URIs pass through)."""
    return role if "://" in role else ROLE_URI_PREFIX + role


@dataclass
class Membership:
    """A user's enrolment in a course with its LIS roles (short names as NRPS reports them)."""

    user: User
    roles: list[str]

    @property
    def is_instructor(self) -> bool:
        """Moodle treats users who can manage activities as instructors."""
        return INSTRUCTOR in self.roles

    @property
    def is_gradable(self) -> bool:
        """Only the learner (student) role is a gradebook role."""
        return LEARNER in self.roles


@dataclass
class ResourceLink:
    """An LTI activity of the tool in a course (Moodle's lti instance, with its course module id)."""

    link_id: str
    title: str
    cmid: int
    description: str = ""


@dataclass
class Course:
    """A Moodle course, the LTI context."""

    context_id: str
    label: str
    title: str
    members: dict[str, Membership] = field(default_factory=dict)
    links: dict[str, ResourceLink] = field(default_factory=dict)


@dataclass
class Grade:
    """One user's grade in a line item, on the line item's scale."""

    final: float | None
    comment: str | None
    timemodified: int | None
    overridden: bool = False


@dataclass
class LineItem:
    """A gradebook column. `type_id` is the tool that owns it (None: not an LTI column)."""

    item_id: int
    context_id: str
    label: str
    score_maximum: float
    resource_id: str = ""
    tag: str = ""
    resource_link_id: str | None = None
    type_id: int | None = None
    is_activity: bool = False
    grades: dict[str, Grade] = field(default_factory=dict)
    scores: list[dict[str, Any]] = field(default_factory=list)


class ScoreRefused(Exception):
    """Moodle refused a score; `status` and `reason` are what its HTTP answer carries."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def grade_float(value: float) -> float:
    """`value` rounded the way Moodle stores grades (5 decimals, half away from zero)."""
    return float(Decimal(repr(float(value))).quantize(Decimal("0.00001"), rounding=ROUND_HALF_UP))


def php_number(value: float) -> float | int:
    """An integral float as int, as the captured JSON shows Moodle's numbers."""
    return int(value) if float(value).is_integer() else value


def is_numeric(value: Any) -> bool:
    """PHP's is_numeric: numbers and numeric strings, not booleans."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    if isinstance(value, str):
        try:
            float(value.strip())
        except ValueError:
            return False
        return value.strip() != ""
    return False


def timestamp_seconds(text: str) -> int:
    """Epoch seconds of an ISO 8601 timestamp, fractions dropped (PHP strtotime); naive times are UTC."""
    moment = dt.datetime.fromisoformat(text.replace(" ", "T"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return int(moment.timestamp() // 1)


def default_site_state() -> tuple[dict[str, User], dict[str, Course], dict[int, LineItem]]:
    """The captured site: course 2 (CCMO) with instructor1, learner1, learner2 and two activities of tool type 1."""
    users = {
        "2": User("2", "Admin", "User", "admin@example.com", "admin"),
        "3": User("3", "Ivy", "Instructor", "instructor1@example.com", "instructor1", "CCMO-INSTRUCTOR1"),
        "4": User("4", "Lena", "Learner", "learner1@example.com", "learner1", "CCMO-LEARNER1"),
        "5": User("5", "Leo", "Learner", "learner2@example.com", "learner2", "CCMO-LEARNER2"),
    }
    course = Course("2", "CCMO", "CCMO Academy")
    course.members = {
        "3": Membership(users["3"], [INSTRUCTOR]),
        "4": Membership(users["4"], [LEARNER]),
        "5": Membership(users["5"], [LEARNER]),
    }
    course.links = {
        "1": ResourceLink("1", "CCMO Stub Activity", cmid=2, description="LTI 1.3 stub activity"),
        "2": ResourceLink("2", "CCMO deep-linked resource", cmid=3),
    }
    items = {
        # Item 1 is the course total and never an LTI line item; item 3 is a teacher's own column.
        2: LineItem(2, "2", "CCMO Stub Activity", 100.0, resource_link_id="1", type_id=1, is_activity=True),
        3: LineItem(3, "2", "Teacher manual column", 20.0),
        5: LineItem(
            5, "2", "CCMO deep-linked resource", 10.0, resource_id="ccmo-dl-res-1", tag="ccmo-dl",
            resource_link_id="2", type_id=1, is_activity=True,
        ),
    }
    return users, {"2": course}, items


class MoodleSite:
    """Users, courses and gradebook; callers hold the emulator's lock around mutations."""

    FIRST_FREE_ITEM_ID = 4

    def __init__(self) -> None:
        self.users, self.courses, self.line_items = default_site_state()
        self._next_item_id = self.FIRST_FREE_ITEM_ID

    def course(self, context_id: str) -> Course | None:
        """The course with this id, if any."""
        return self.courses.get(str(context_id))

    def ensure_course(self, context_id: str, label: str | None = None, title: str | None = None) -> Course:
        """The course with this id, created (empty) when missing."""
        key = str(context_id)
        if key not in self.courses:
            self.courses[key] = Course(key, label or f"COURSE{key}", title or f"Course {key}")
        return self.courses[key]

    def add_member(
        self,
        context_id: str,
        user_id: str,
        roles: list[str],
        name: str | None = None,
        email: str | None = None,
        username: str | None = None,
        sourcedid: str | None = None,
    ) -> Membership:
        """Enrol a user (created when unknown) in a course with `roles`; known users keep unspecified fields."""
        key = str(user_id)
        user = self.users.get(key)
        if user is None:
            given, _, family = (name or f"User {key}").partition(" ")
            user = User(key, given, family, email or f"user{key}@example.com", username or f"user{key}",
                        sourcedid or "")
            self.users[key] = user
        else:
            if name is not None:
                user.given_name, _, user.family_name = name.partition(" ")
            if email is not None:
                user.email = email
            if username is not None:
                user.username = username
            if sourcedid is not None:
                user.sourcedid = sourcedid
        membership = Membership(user, [short_role(role) for role in roles])
        self.ensure_course(context_id).members[key] = membership
        return membership

    def remove_member(self, context_id: str, user_id: str) -> None:
        """Unenrol a user from a course (grades stay, as in Moodle)."""
        course = self.course(context_id)
        if course is not None:
            course.members.pop(str(user_id), None)

    def create_line_item(
        self,
        context_id: str,
        label: str,
        score_maximum: float,
        *,
        resource_id: str = "",
        tag: str = "",
        resource_link_id: str | None = None,
        type_id: int | None = 1,
    ) -> LineItem:
        """A new gradebook column owned by tool `type_id`, with the next free grade item id."""
        while self._next_item_id in self.line_items:
            self._next_item_id += 1
        item = LineItem(
            self._next_item_id, str(context_id), label, float(score_maximum), resource_id=resource_id or "",
            tag=tag or "", resource_link_id=None if resource_link_id is None else str(resource_link_id),
            type_id=type_id,
        )
        self.line_items[item.item_id] = item
        self._next_item_id += 1
        return item

    def tool_line_items(self, context_id: str, type_id: int) -> list[LineItem]:
        """The columns of a course that belong to tool `type_id`, by id (Moodle hides every other column)."""
        return sorted(
            (item for item in self.line_items.values()
             if item.context_id == str(context_id) and item.type_id == type_id),
            key=lambda item: item.item_id,
        )

    def record_score(self, item: LineItem, context_id: str, score: Any, raw_body: str) -> None:
        """Apply a score posted by the tool, or raise ScoreRefused with Moodle's status and reason."""
        course = self.course(context_id)
        membership = course.members.get(str(score.get("userId"))) if isinstance(score, dict) and course else None
        if (
            not isinstance(score, dict)
            or not score
            or any(score.get(key) is None for key in ("userId", "timestamp", "gradingProgress", "activityProgress"))
            or not isinstance(score["timestamp"], str)
            or not ISO8601_TIMESTAMP.match(score["timestamp"])
            or (score.get("scoreGiven") is not None and not is_numeric(score["scoreGiven"]))
            or (score.get("scoreMaximum") is not None and not is_numeric(score["scoreMaximum"]))
            or membership is None
            or not membership.is_gradable
        ):
            raise ScoreRefused(400, "Incorrect score received" + raw_body)
        user_id = str(score["userId"])
        seconds = timestamp_seconds(score["timestamp"])
        existing = item.grades.get(user_id)
        if existing is not None and existing.timemodified and existing.timemodified >= seconds:
            raise ScoreRefused(
                409, f"Refusing score with an earlier timestamp for item {item.item_id} and user {user_id}"
            )
        given = score.get("scoreGiven")
        if score.get("gradingProgress") != "FullyGraded":
            given = None
        final: float | None = None
        timemodified: int | None = None
        if given is not None:
            maximum = float(score["scoreMaximum"]) if score.get("scoreMaximum") is not None else 1.0
            final = float(given)
            if maximum not in (0.0, item.score_maximum):
                final = final * item.score_maximum / maximum
            final = grade_float(min(max(final, 0.0), item.score_maximum))
            timemodified = seconds
        comment = score.get("comment") or None
        if existing is not None and existing.overridden and item.is_activity:
            existing.timemodified = timemodified
        else:
            item.grades[user_id] = Grade(final, comment, timemodified)
        item.scores.append(score)

    def set_result(self, item: LineItem, user_id: str, score: float | None, comment: str | None, now: int) -> None:
        """An instructor's grade typed into Moodle's gradebook (on the column's own scale)."""
        final = None if score is None else grade_float(score)
        item.grades[str(user_id)] = Grade(final, comment, now, overridden=True)

    @staticmethod
    def rescale(item: LineItem, new_maximum: float) -> None:
        """Change a column's maximum keeping every grade's percentage, as Moodle does on a PUT."""
        old_maximum = item.score_maximum
        if old_maximum and old_maximum != new_maximum:
            for grade in item.grades.values():
                if grade.final is not None:
                    grade.final = grade_float(grade.final * new_maximum / old_maximum)
        item.score_maximum = new_maximum
