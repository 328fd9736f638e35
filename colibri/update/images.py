"""Removing an image the update left unused (``--cleanup``, a blocked candidate)."""

from __future__ import annotations

from colibri.domain.ports import Engine
from colibri.domain.refs import ImageRef, in_repository
from colibri.errors import ColibriError

__all__ = ["remove_unused_image"]


def remove_unused_image(engine: Engine, ref: ImageRef, image_id: str) -> tuple[str, str]:
    """Remove ``image_id``'s references in ``ref``'s repository; the daemon deletes the image
    with its last reference. Kept when a container uses it or another repository's tag names it
    (someone else relies on it). Returns a (level, message) for the run's log."""
    if engine.containers_using_image(image_id):
        return "INFO", f"kept image {image_id[:19]}: still in use"
    image = engine.inspect_image(image_id)
    if image is None:
        return "INFO", f"image {image_id[:19]} is already gone"
    ours = in_repository(ref, (*image.repo_tags, *image.repo_digests))
    others = [t for t in image.repo_tags if t not in ours]
    try:
        for reference in ours:
            engine.remove_image(reference)
        if not ours and not others:
            engine.remove_image(image_id)
    except ColibriError as exc:
        return "WARNING", f"could not remove image {image_id[:19]}: {exc}"
    kept = f"; kept: also tagged {', '.join(others)}" if others else ""
    return "INFO", f"removed image {image_id[:19]}{kept}"
