"""The modules that run statements: fetch, insert, delete, jobs (above the pure query layer)."""
