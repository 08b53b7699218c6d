"""The storage of the static files: whitenoise's, each file's URL computed once per process
(issue 9).

A page names its stylesheets and scripts by ``{% static %}`` and form media: per name
``ManifestStaticFilesStorage.url`` splits the name, looks it up in the manifest, joins it to
``STATIC_URL`` and unquotes it again, 18 times for a page of the admin's invoice list (~3 % of its
time). The manifest is read once, when the storage is made: a name's URL does not change for the
life of the process, and is kept (``DEBUG`` and ``force=True`` aside, which Django computes
differently). A manifest replaced or grown (``collectstatic`` in the same process) forgets them.
"""

from django.conf import settings
from whitenoise.storage import CompressedManifestStaticFilesStorage

KEPT_MAX = 4096


class KeptManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    def url(self, name, force=False):
        if force or settings.DEBUG:
            return super().url(name, force)
        kept = self.__dict__.get("_kept_urls")
        files = self.hashed_files
        if kept is None or kept[0] is not files or kept[1] != len(files):
            kept = self._kept_urls = (files, len(files), {})
        urls = kept[2]
        url = urls.get(name)
        if url is None:
            url = super().url(name)
            if len(urls) < KEPT_MAX:
                urls[name] = url
        return url

    def post_process(self, *args, **kwargs):
        self.__dict__.pop("_kept_urls", None)
        yield from super().post_process(*args, **kwargs)
        self.__dict__.pop("_kept_urls", None)
