"""A local store's folders under concurrent writes and deletes: a delete prunes the folders it
leaves empty, and a write into the same folder at that instant must still land."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from dj_sqla.stores.backend import StorageBackend


def test_a_write_lands_while_a_delete_prunes_its_folder(tmp_path: Path) -> None:
    """Two rows sharing a hash-addressed object: one row's delete removes the object and
    prunes its empty folders while another row's insert writes it again (the folders exist,
    then do not, between the writer's ``makedirs`` and its temporary file)."""
    store = StorageBackend({"protocol": "file", "location": str(tmp_path)})
    path = "_hash/ab/cd/object"
    errors: list[BaseException] = []
    done = threading.Event()

    def write() -> None:
        while not done.is_set():
            try:
                store.put_buffer(b"shared", path)
            except BaseException as err:
                errors.append(err)
                done.set()

    def delete() -> None:
        while not done.is_set():
            store.remove(path)
            store.prune(path)

    threads = [threading.Thread(target=write), threading.Thread(target=delete)]
    for thread in threads:
        thread.start()
    time.sleep(2)
    done.set()
    for thread in threads:
        thread.join()
    assert not errors
    store.put_buffer(b"shared", path)
    assert store.get_buffer(path) == b"shared"
