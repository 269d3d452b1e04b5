"""Celery workers and the media operations they run."""
