"""Yes/no questions on the terminal (safemode prompts)."""

from __future__ import annotations


def confirm(question: str) -> bool:
    """Ask ``question``; anything but "yes" (or no terminal at all) means no."""
    try:
        answer = input(f"{question} [yes/No]: ")
    except EOFError:
        return False
    return answer.strip().lower() in ("yes", "y")
