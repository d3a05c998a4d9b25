"""The storage of collected static files in production (STORAGES["staticfiles"] when
TSUR_STATIC_COLLECTED): WhiteNoise's compressed manifest storage — content-hashed names served
with far-future cache headers, gzip and Brotli copies made once at collectstatic.

Source-map comments are left alone: the vendor libraries' minified files name maps that are not
served (only the files in TSUR_VENDOR_FILES are), and the manifest storage would otherwise refuse
to collect a file whose map is missing. A browser's developer tools just find no map.
"""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


def _without_source_maps(patterns: tuple) -> tuple:
    return tuple((glob, tuple(p for p in group if "sourceMappingURL" not in str(p))) for glob, group in patterns)


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    patterns = _without_source_maps(CompressedManifestStaticFilesStorage.patterns)
