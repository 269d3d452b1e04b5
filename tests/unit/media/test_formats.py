import pytest

from common.errors import UnsupportedFormat
from tests.conftest import corpus_params
from worker.media.formats import require_format, sniff


@pytest.mark.parametrize("item", corpus_params())
def test_sniffed_mime_matches_the_corpus(item):
    """The MIME type comes from the bytes and equals what `file` says for every corpus file."""
    assert sniff(item.data[:32]).mime == item.manifest["mime"]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello world, this is text named photo.jpg",
        b"\xff\xd8",
        b"RIFF\0\0\0\0WAVE",
        b"%PDF-1.7",
    ],
)
def test_non_images_are_unsupported(data):
    with pytest.raises(UnsupportedFormat):
        require_format(data)
