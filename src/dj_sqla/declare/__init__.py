"""Definition text → table declarations; pure, no database."""
