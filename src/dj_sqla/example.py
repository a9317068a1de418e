"""The example pipeline used by the demo, the tests and the project's Alembic environment.

Two schemas, as in a lab that keeps its animals apart from its experiments, written as a
DataJoint pipeline module would be:

* ``<prefix>lab``: ``#species`` (a Lookup) and ``subject`` (one row per animal);
* ``<prefix>experiment``: ``session`` (recording sessions of a subject: a foreign key into
  the other schema), its part ``session__trial`` (one row per trial: 1.0 when the animal
  answered correctly, else 0.0), and the tables filled by ``populate()``: the Computed
  ``__session_stats`` and ``__session_trace`` (numpy arrays in blobs) per session,
  ``__subject_summary`` per subject (from a parent in the other schema), and the Imported
  ``_recording``: a raw signal per session, kept as a ``.npy`` file in the object store
  :data:`STORE`.

The classes are built inside :func:`build` because a class can be declared only once, and
tests build the pipeline many times under different schema names. :func:`simulate` makes the
rows the demo inserts: the same every time (numpy's random Generator with a fixed seed).

Example:
    >>> import dj_sqla as dj
    >>> from dj_sqla import example
    >>> pipeline = example.build(connection=dj.Connection("sqlite://"))
    >>> pipeline.lab.list_tables()
    ['#species', 'subject']
    >>> pipeline.experiment.list_tables()
    ['__subject_summary', 'session', '__session_stats', '__session_trace', '_recording', \
'session__trial']
    >>> sample = example.simulate()
    >>> len(sample.subjects), sorted({s["species"] for s in sample.subjects})
    (12, ['mouse', 'rat'])
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

from .config import config
from .connection import Connection
from .populate import Computed, Imported
from .schemas import Schema
from .table import Lookup, Manual, Part

#: Schema names without prefix.
LAB = "lab"
EXPERIMENT = "experiment"
#: Prefix of the demo's schema names.
DEMO_PREFIX = "dj_sqla_demo_"
#: The object store of the recordings (``<npy@dj_sqla_demo>``), and the name of its folder
#: when :func:`build` configures it.
STORE = "dj_sqla_demo"
STORE_FOLDER = "dj_sqla_demo_store"
#: The seed of the simulated data: every run makes the same animals, sessions and trials.
SEED = 2026
#: The simulated recordings: samples per second and per session, and each species' rhythm.
SAMPLING_RATE = 1000.0
N_SAMPLES = 4000
RHYTHM_HZ = {"mouse": 8.0, "rat": 6.5}
#: Probability of a correct trial in a species' first session, and its gain per session.
_SKILL = {"mouse": (0.55, 0.05), "rat": (0.68, 0.06)}


@dataclass
class Sample:
    """Rows of the example pipeline, as :func:`simulate` makes them (lists of dicts)."""

    subjects: list[dict[str, Any]] = field(default_factory=list)
    sessions: list[dict[str, Any]] = field(default_factory=list)
    trials: list[dict[str, Any]] = field(default_factory=list)


def simulate(n_subjects: int = 12, seed: int = SEED) -> Sample:
    """Simulated animals, sessions and trials: the same for the same arguments.

    Subjects alternate between the species (mice and rats) and, in pairs, the sexes; each is
    born in the autumn of 2025 and has 3 to 5 sessions from January 2026, a few days apart,
    of 20 to 40 trials. A trial's outcome is 1.0 (a correct answer) or 0.0; rats answer
    correctly more often than mice, and both improve from one session to the next.

    Args:
        n_subjects: how many animals.
        seed: the seed of numpy's random Generator.

    Example:
        >>> sample = simulate(4)
        >>> [(s["subject_id"], s["species"], s["sex"]) for s in sample.subjects]
        [(1, 'mouse', 'F'), (2, 'rat', 'F'), (3, 'mouse', 'M'), (4, 'rat', 'M')]
        >>> sorted({t["outcome"] for t in sample.trials})
        [0.0, 1.0]
    """
    rng = np.random.default_rng(seed)
    species_names = sorted(_SKILL)
    sample = Sample()
    for subject_id in range(1, n_subjects + 1):
        species = species_names[(subject_id - 1) % len(species_names)]
        born = dt.date(2025, 9, 1) + dt.timedelta(days=int(rng.integers(0, 90)))
        sex = "FM"[(subject_id - 1) // len(species_names) % 2]
        sample.subjects.append(
            {"subject_id": subject_id, "species": species, "sex": sex, "date_of_birth": born}
        )
        day = dt.date(2026, 1, 5) + dt.timedelta(days=int(rng.integers(0, 14)))
        first, gain = _SKILL[species]
        for session in range(1, int(rng.integers(3, 6)) + 1):
            sample.sessions.append(
                {"subject_id": subject_id, "session": session, "session_date": day}
            )
            correct = rng.random(int(rng.integers(20, 41))) < first + gain * (session - 1)
            sample.trials.extend(
                {"subject_id": subject_id, "session": session, "trial": n, "outcome": float(c)}
                for n, c in enumerate(correct, start=1)
            )
            day += dt.timedelta(days=int(rng.integers(2, 8)))
    return sample


def simulate_trace(key: dict[str, Any], species: str) -> np.ndarray[Any, np.dtype[np.float32]]:
    """A session's simulated raw signal: its species' rhythm (a little off, per session) in
    noise, :data:`N_SAMPLES` samples at :data:`SAMPLING_RATE`.

    Example:
        >>> trace = simulate_trace({"subject_id": 1, "session": 1}, "mouse")
        >>> trace.dtype, trace.shape
        (dtype('float32'), (4000,))
    """
    rng = np.random.default_rng([SEED, key["subject_id"], key["session"]])
    rhythm = RHYTHM_HZ[species] + rng.normal(0.0, 0.2)
    t = np.arange(N_SAMPLES) / SAMPLING_RATE
    signal = np.sin(2 * np.pi * rhythm * t) + rng.normal(0.0, 1.0, N_SAMPLES)
    return signal.astype(np.float32)


def dominant_frequency(trace: Any, sampling_rate: float) -> float:
    """The frequency (Hz) of the strongest component of ``trace`` (its mean removed).

    Example:
        >>> five_hertz = np.sin(2 * np.pi * 5 * np.arange(1000) / 1000)
        >>> dominant_frequency(five_hertz, sampling_rate=1000.0)
        5.0
    """
    values = np.asarray(trace, dtype=np.float64)
    spectrum = np.abs(np.fft.rfft(values - values.mean()))
    return float(np.fft.rfftfreq(len(values), 1.0 / sampling_rate)[spectrum.argmax()])


def _sqlite_folder(connection: Connection) -> str | None:
    # a SQLite file store has a folder; a server has none, and neither has in-memory SQLite
    return getattr(connection.backend, "directory", None)


def data_folder(connection: Connection) -> Path:
    """The folder of the example's files: the SQLite store's folder of ``connection``, or
    ``dj.config["database.sqlite_dir"]`` for a server (and for in-memory SQLite).

    Example:
        >>> import tempfile
        >>> import dj_sqla as dj
        >>> folder = Path(tempfile.mkdtemp())
        >>> data_folder(dj.Connection(f"sqlite:///{folder}/main.db")) == folder.resolve()
        True
    """
    return Path(_sqlite_folder(connection) or config["database.sqlite_dir"]).resolve()


def configure_store(
    connection: Connection, location: str | os.PathLike[str] | None = None
) -> dict[str, Any]:
    """Configure the object store :data:`STORE` unless ``dj.config["stores"]`` has it.

    Without ``location`` it is a folder :data:`STORE_FOLDER` in :func:`data_folder`, created
    if missing; an in-memory SQLite database gets an in-memory store (fsspec's ``memory``),
    which goes with the process as the database does. A given ``location`` (a folder)
    replaces what is configured.

    Returns:
        The store's settings, as ``dj.config.get_store_spec`` gives them.

    Example:
        >>> import tempfile
        >>> import dj_sqla as dj
        >>> folder = Path(tempfile.mkdtemp())
        >>> spec = configure_store(dj.Connection("sqlite://"), folder)
        >>> spec["protocol"], spec["location"] == str(folder.resolve())
        ('file', True)
    """
    stores = config["stores"]
    if location is None and STORE in stores:
        return config.get_store_spec(STORE)
    if location is None and not (_sqlite_folder(connection) or connection.backend.has_server):
        spec = {"protocol": "memory", "location": f"/{STORE_FOLDER}"}
    else:
        folder = Path(location or data_folder(connection) / STORE_FOLDER).resolve()
        folder.mkdir(parents=True, exist_ok=True)
        spec = {"protocol": "file", "location": str(folder)}
    config["stores"] = {**stores, STORE: spec}
    return config.get_store_spec(STORE)


@dataclass
class Pipeline:
    """The example pipeline's schemas and classes."""

    lab: Schema
    experiment: Schema
    Species: Any
    Subject: Any
    Session: Any
    Trial: Any
    SessionStats: Any
    SessionTrace: Any
    SubjectSummary: Any
    Recording: Any

    @property
    def schemas(self) -> list[Schema]:
        """Parents first."""
        return [self.lab, self.experiment]


def build(
    connection: Connection | sa.Engine | str | None = None,
    *,
    prefix: str = DEMO_PREFIX,
    create_tables: bool = True,
    store_location: str | os.PathLike[str] | None = None,
) -> Pipeline:
    """Declare the example pipeline (creating what is missing) and return it.

    Its recordings need the object store :data:`STORE`: unless ``dj.config["stores"]`` has
    it (or ``store_location`` is given), it is configured by :func:`configure_store`.

    Args:
        connection: where to declare it; default ``dj.conn()``.
        prefix: prepended to the schema names (``lab``, ``experiment``).
        create_tables: passed to both schemas; False for migration-managed databases.
        store_location: the folder of the object store :data:`STORE`, replacing what is
            configured.
    """
    lab = Schema(prefix + LAB, connection=connection, create_tables=create_tables)
    experiment = Schema(prefix + EXPERIMENT, connection=connection, create_tables=create_tables)
    configure_store(lab.connection, store_location)

    @lab
    class Species(Lookup):
        definition = """
        # animal species kept in the lab
        species : varchar(30)
        """
        contents = (("mouse",), ("rat",))

    @lab
    class Subject(Manual):
        definition = """
        # a laboratory animal
        subject_id : int32           # unique animal id
        ---
        -> Species
        sex = 'U' : enum('M', 'F', 'U')
        date_of_birth = null : date
        """

    @experiment
    class Session(Manual):
        definition = """
        # a recording session of one subject
        -> Subject
        session : int16
        ---
        session_date : date
        notes = '' : varchar(1024)
        index(session_date)
        """

        class Trial(Part):
            definition = """
            # one trial of the session
            -> master
            trial : int32
            ---
            outcome : float64
            """

    @experiment
    class SessionStats(Computed):
        definition = """
        # trial statistics of a session, computed by populate()
        -> Session
        ---
        n_trials : int32
        mean_outcome = null : float64
        """

        def make(self, key: dict[str, Any]) -> None:
            outcomes = (Session.Trial & key).to_arrays("outcome")
            mean = float(outcomes.mean()) if len(outcomes) else None
            self.insert1(dict(key, n_trials=len(outcomes), mean_outcome=mean))

    @experiment
    class SessionTrace(Computed):
        definition = """
        # the outcomes of a session as an array, and their summary (blobs)
        -> Session
        ---
        outcomes : longblob       # numpy array, one value per trial
        summary : <blob>          # dict of numbers and arrays
        """

        def make(self, key: dict[str, Any]) -> None:
            outcomes = (Session.Trial & key).to_arrays("outcome", order_by="KEY")
            summary = {"n": len(outcomes), "cumulative": np.round(np.cumsum(outcomes), 6)}
            self.insert1(dict(key, outcomes=outcomes, summary=summary))

    @experiment
    class SubjectSummary(Computed):
        definition = """
        # sessions and trials of a subject, computed by populate()
        -> Subject
        ---
        n_sessions : int32
        n_trials : int32
        """

        def make(self, key: dict[str, Any]) -> None:
            self.insert1(
                dict(key, n_sessions=len(Session & key), n_trials=len(Session.Trial & key))
            )

    @experiment
    class Recording(Imported):
        definition = """
        # a raw signal recorded during the session (simulated), kept in an object store
        -> Session
        ---
        sampling_rate : float64          # samples per second
        trace : <npy@dj_sqla_demo>       # one value per sample: a .npy file in the store
        """

        def make(self, key: dict[str, Any]) -> None:
            species = (Subject & key).fetch1("species")
            trace = simulate_trace(key, species)
            self.insert1(dict(key, sampling_rate=SAMPLING_RATE, trace=trace))

    return Pipeline(
        lab,
        experiment,
        Species,
        Subject,
        Session,
        Session.Trial,
        SessionStats,
        SessionTrace,
        SubjectSummary,
        Recording,
    )
