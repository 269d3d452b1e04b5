"""The file name a fetched URL goes by: one harmless path component."""

from __future__ import annotations

import pytest

from common.fetch.names import MAX_NAME_LENGTH, file_name, sanitise


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("photo.jpg", "photo.jpg"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("C:\\Users\\me\\IMG_0001.JPG", "IMG_0001.JPG"),
        ("..", ""),
        ("...", ""),
        (".bashrc", "bashrc"),
        ("name.", "name"),
        ("  spaced  .png  ", "spaced  .png"),
        ('a<b>c:d"e|f?g*h.jpg', "a_b_c_d_e_f_g_h.jpg"),
        ("tab\there\x00nul\x7fdel.gif", "tab_here_nul_del.gif"),
        ("line\r\nbreak.jpg", "line_break.jpg"),
        ("e\u0301te\u0301.jpg", "été.jpg"),  # NFC: one code point per letter
        ("фото_2024.heic", "фото_2024.heic"),
        ("写真.webp", "写真.webp"),
        ("", ""),
    ],
)
def test_sanitise_keeps_one_harmless_component(raw: str, safe: str) -> None:
    assert sanitise(raw) == safe


def test_sanitise_caps_the_length_and_keeps_the_extension() -> None:
    name = sanitise("x" * 500 + ".jpeg")
    assert len(name) == MAX_NAME_LENGTH
    assert name.endswith("x.jpeg")
    assert len(sanitise("y" * 500)) == MAX_NAME_LENGTH


@pytest.mark.parametrize(
    ("disposition", "path", "name"),
    [
        ('attachment; filename="a.jpg"', "/b.jpg", "a.jpg"),
        ("attachment; filename*=UTF-8''%E2%82%ACuro.jpg; filename=\"euro.jpg\"", "/", "_uro.jpg"),
        ("attachment; filename*=UTF-8''caf%C3%A9.jpg", "/", "café.jpg"),
        ("inline", "/from/the/path.png", "path.png"),
        ('attachment; filename=".."', "/fallback.gif", "fallback.gif"),
        ("attachment; filename*=nonsense''%FF.jpg", "/x.jpg", "_.jpg"),
        ("garbage;;;===", "/x.jpg", "x.jpg"),
        (None, "/a%2Fb%2Fc.jpg", "c.jpg"),
        (None, "/%ZZ.jpg", "_ZZ.jpg"),
        (None, "/dir/", "download"),
        (None, "", "download"),
    ],
)
def test_file_name_prefers_content_disposition_then_the_path(
    disposition: str | None, path: str, name: str
) -> None:
    assert file_name(disposition, path) == name
