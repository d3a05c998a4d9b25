"""The situation center's scheduled work (the weekly report), registered with tsur.core.tasks."""
