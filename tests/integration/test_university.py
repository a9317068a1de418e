"""The classic DataJoint university tutorial, identical on every backend.

A few thousand generated rows (students, departments, courses, terms, sections, enrolments,
grades); each query's answer is computed independently in Python and compared. The string
restrictions are written the MySQL way (double-quoted strings), as in DataJoint's tutorial.
"""

from __future__ import annotations

import datetime as dt
import decimal
import random
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

import pytest

import dj_sqla as dj

STATES = ["OH", "NC", "CA", "TX", "NY", "UT"]
DEPTS = ["BIOL", "CS", "MATH", "PHYS", "CHEM"]
LETTERS = {"A": "4.00", "A-": "3.67", "B+": "3.33", "B": "3.00", "B-": "2.67", "C": "2.00"}


def generate(seed: int = 7) -> dict[str, list[tuple[Any, ...]]]:
    rng = random.Random(seed)
    students = [
        (
            i,
            f"First{i}",
            f"Last{i % 97}",
            rng.choice("FMU"),
            dt.date(1975, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 30)),
            rng.choice(STATES),
        )
        for i in range(1, 401)
    ]
    majors = [
        (s[0], rng.choice(DEPTS), dt.date(2020, 9, 1)) for s in students if rng.random() < 0.7
    ]
    courses = [
        (d, 100 + 10 * k, f"{d} course {k}", decimal.Decimal(rng.choice(["3.0", "4.0", "1.5"])))
        for d in DEPTS
        for k in range(5)
    ]
    terms = [(y, t) for y in (2024, 2025) for t in ("Spring", "Fall")]
    sections = [
        (c[0], c[1], y, t, s, f"R{rng.randrange(100, 999)}")
        for c in courses
        for (y, t) in terms
        for s in "ab"
    ]
    enroll: list[tuple[Any, ...]] = []
    for student in students:
        for section in rng.sample(sections, 8):
            enroll.append((student[0], *section[:5]))
    current = (2025, "Fall")
    grades = [(*e, rng.choice(list(LETTERS))) for e in enroll if (e[3], e[4]) != current]
    return {
        "students": students,
        "majors": majors,
        "courses": courses,
        "terms": terms,
        "sections": sections,
        "enroll": enroll,
        "grades": grades,
    }


DATA = generate()


@pytest.fixture
def university(new_schema: Callable[..., dj.Schema]) -> Any:
    schema = new_schema("uni")

    @schema
    class Student(dj.Manual):
        definition = """
        student_id : int32
        ---
        first_name : varchar(40)
        last_name : varchar(40)
        sex : enum('F', 'M', 'U')
        date_of_birth : date
        home_state : char(2)
        """

    @schema
    class Department(dj.Lookup):
        definition = """
        dept : varchar(6)
        ---
        dept_name = '' : varchar(200)
        """
        contents = [(d, f"Department of {d}") for d in DEPTS]

    @schema
    class StudentMajor(dj.Manual):
        definition = """
        -> Student
        ---
        -> Department
        declare_date : date
        """

    @schema
    class Course(dj.Manual):
        definition = """
        -> Department
        course : int32
        ---
        course_name : varchar(200)
        credits : decimal(3, 1)
        """

    @schema
    class Term(dj.Manual):
        definition = """
        term_year : int32
        term : enum('Spring', 'Summer', 'Fall')
        """

    @schema
    class Section(dj.Manual):
        definition = """
        -> Course
        -> Term
        section : char(1)
        ---
        auditorium : varchar(12)
        """

    @schema
    class CurrentTerm(dj.Manual):
        definition = """
        omega = 0 : int32
        ---
        -> Term
        """

    @schema
    class Enroll(dj.Manual):
        definition = """
        -> Student
        -> Section
        """

    @schema
    class LetterGrade(dj.Lookup):
        definition = """
        grade : char(2)
        ---
        points : decimal(3, 2)
        """
        contents = [(g, decimal.Decimal(p)) for g, p in LETTERS.items()]

    @schema
    class Grade(dj.Manual):
        definition = """
        -> Enroll
        ---
        -> LetterGrade
        """

    Student.insert(DATA["students"])
    StudentMajor.insert(DATA["majors"])
    Course.insert(DATA["courses"])
    Term.insert(DATA["terms"])
    Section.insert(DATA["sections"])
    CurrentTerm.insert1({"omega": 0, "term_year": 2025, "term": "Fall"})
    Enroll.insert(DATA["enroll"])
    Grade.insert(DATA["grades"])
    return locals()


def ids(expr: Any) -> list[int]:
    return sorted(r["student_id"] for r in expr.proj().to_dicts())


def test_restrictions_written_for_mysql(university: Any) -> None:
    Student = university["Student"]
    students = DATA["students"]
    assert ids(Student & 'home_state="OH"') == [s[0] for s in students if s[5] == "OH"]
    assert ids(Student & 'home_state="OH" OR home_state="NC"') == [
        s[0] for s in students if s[5] in ("OH", "NC")
    ]
    millennials = Student & 'date_of_birth > "1981-01-01" and date_of_birth < "1996-01-01"'
    assert ids(millennials) == [
        s[0] for s in students if dt.date(1981, 1, 1) < s[4] < dt.date(1996, 1, 1)
    ]
    assert ids(millennials & 'sex="F"') == [
        s[0] for s in students if dt.date(1981, 1, 1) < s[4] < dt.date(1996, 1, 1) and s[3] == "F"
    ]


def test_semijoins_and_antijoins(university: Any) -> None:
    u = university
    majors = DATA["majors"]
    assert ids(u["Student"] - u["StudentMajor"]) == sorted(
        {s[0] for s in DATA["students"]} - {m[0] for m in majors}
    )
    assert ids(u["Student"] & (u["StudentMajor"] & 'dept="MATH"')) == sorted(
        m[0] for m in majors if m[1] == "MATH"
    )
    current = u["Student"] & (u["Enroll"] & u["CurrentTerm"])
    assert ids(current) == sorted({e[0] for e in DATA["enroll"] if (e[3], e[4]) == (2025, "Fall")})


def test_aggregations(university: Any) -> None:
    u = university
    counts = u["Student"].aggr(u["Enroll"], n="count(*)")
    assert {r["student_id"]: r["n"] for r in counts.to_dicts()} == Counter(
        e[0] for e in DATA["enroll"]
    )
    gpa = u["Student"].aggr(
        u["Course"] * u["Grade"] * u["LetterGrade"],
        gpa="sum(points * credits) / sum(credits)",
    )
    credits = {(c[0], c[1]): c[3] for c in DATA["courses"]}
    totals: dict[int, list[decimal.Decimal]] = defaultdict(lambda: [decimal.Decimal(0)] * 2)
    for student, dept, course, *_, grade in DATA["grades"]:
        c = credits[(dept, course)]
        totals[student][0] += decimal.Decimal(LETTERS[grade]) * c
        totals[student][1] += c
    got = {r["student_id"]: r["gpa"] for r in gpa.to_dicts()}
    assert set(got) == {s[0] for s in DATA["students"]}
    for student, (points, weight) in totals.items():
        assert float(got[student]) == pytest.approx(float(points / weight), abs=1e-6)
    by_state = dj.U("home_state").aggr(u["Student"], n="count(*)")
    assert {r["home_state"]: r["n"] for r in by_state.to_dicts()} == Counter(
        s[5] for s in DATA["students"]
    )
    assert sorted(
        r["home_state"] for r in (dj.U("home_state") & u["Student"]).to_dicts()
    ) == sorted(set(STATES))
    section_avg = u["Section"].aggr(u["Grade"] * u["LetterGrade"], avg_points="avg(points)")
    assert len(section_avg) == len(DATA["sections"])
