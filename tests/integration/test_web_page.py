"""The web page at ``/`` and the API docs at ``/docs`` in a real browser (headless Debian
Chromium through Playwright) against the real stack: Redis, a worker, moto's S3, gunicorn.

References: ExifTool's reading of the corpus (make, model, position), the strip core's
output (the downloaded file), the hash endpoint (the distance shown).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator

import pytest
import requests

from tests.conftest import corpus_files, corpus_path
from tests.integration.conftest import upload
from tests.support.browser import CONTRAST_FAILURES_JS, launch
from worker.media.strip import strip_metadata

playwright_api = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[test]'")
expect = playwright_api.expect

pytestmark = pytest.mark.integration

GPS_PHOTO = "exifr/test/fixtures/issue-exifr-59.jpg"  # Canon, GPS, body and lens serials
OTHER_PHOTO = "exif-samples/jpg/hdr/iphone_hdr_YES.jpg"  # Apple, GPS, another scene
JOB_TIMEOUT_MS = 90_000


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


class Visit:
    """A fresh browser context on one server; records every request that tried to leave it."""

    def __init__(self, browser, base_url: str, width: int = 1000) -> None:
        self.base_url = base_url
        self.context = browser.new_context(
            base_url=base_url, viewport={"width": width, "height": 900}, accept_downloads=True
        )
        self.outside: list[str] = []
        self.requests: list[tuple[str, str]] = []
        self.context.route("**/*", self._route)
        self.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _route(self, route) -> None:
        url = route.request.url
        self.requests.append((route.request.method, url))
        if url.startswith((self.base_url + "/", "blob:", "data:")) or url == self.base_url:
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()

    def open(self, path: str = "/") -> object:
        self.page.goto(path)
        self.page.wait_for_selector("body[data-ready]")
        return self.page

    def choose(self, *relative: str) -> None:
        self.page.set_input_files("#files", [str(corpus_path(r)) for r in relative])
        expect(self.page.locator("#progress-label")).to_contain_text("Done", timeout=JOB_TIMEOUT_MS)

    def card(self, name: str):
        return self.page.locator("article.card", has=self.page.get_by_role("heading", name=name))

    def close(self) -> None:
        assert not self.errors, f"script errors on the page: {self.errors}"
        assert not self.outside, f"the page tried to reach other hosts: {self.outside}"
        self.context.close()


@pytest.fixture()
def visit(browser, stack) -> Iterator[Visit]:
    session = Visit(browser, stack.api_url)
    yield session
    session.close()


def exiftool_reading(relative: str) -> dict:
    return next(f.exiftool for f in corpus_files() if f.id == relative)


def test_a_gps_photo_shows_its_camera_and_place(visit, tmp_path):
    page = visit.open()
    visit.choose(GPS_PHOTO)
    reference = exiftool_reading(GPS_PHOTO)
    card = visit.card("issue-exifr-59.jpg")
    expect(card).to_contain_text(reference["IFD0:Make"])
    expect(card).to_contain_text(reference["IFD0:Model"])
    lat, lon = reference["Composite:GPSLatitude"], reference["Composite:GPSLongitude"]
    north, east = "N" if lat >= 0 else "S", "E" if lon >= 0 else "W"
    shown = f"{abs(lat):.6f}° {north}, {abs(lon):.6f}° {east}"
    expect(card.locator(".coordinates")).to_have_text(shown)
    link = card.get_by_role("link", name=re.compile("OpenStreetMap"))
    assert f"mlat={lat:.6f}&mlon={lon:.6f}" in link.get_attribute("href")
    expect(card.locator("[data-warning=location]")).to_be_visible()
    expect(card.locator("[data-warning=serial]")).to_contain_text("LensSerialNumber")
    card.get_by_text("EXIF: photo settings").click()  # a group opens
    expect(card.locator("details[open]")).to_contain_text("FocalLength")
    assert page.title().startswith("exifq")
    shot = tmp_path / "web-page-desktop.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")


def test_remove_downloads_the_strip_cores_output(visit):
    visit.open()
    visit.choose(GPS_PHOTO)
    card = visit.card("issue-exifr-59.jpg")
    with visit.page.expect_download(timeout=JOB_TIMEOUT_MS) as download:
        card.get_by_role("button", name="Remove metadata").click()
    cleaned = open(download.value.path(), "rb").read()  # noqa: SIM115 - read once
    original = corpus_path(GPS_PHOTO).read_bytes()
    expected = strip_metadata(original)
    assert cleaned == expected.data
    assert download.value.suggested_filename == "issue-exifr-59.jpg"
    report = card.locator(".report")
    expect(report).to_contain_text("GPS position")
    expect(report).to_contain_text(f"{expected.report['bytesBefore'] / 1000:.1f} kB before")


_DATA_TRANSFER_JS = """([name, b64]) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], name, { type: "image/jpeg" }));
  return transfer;
}"""


def test_a_dropped_photo_and_a_pasted_url_are_read_too(visit, image_server):
    page = visit.open()
    data = base64.b64encode(corpus_path(GPS_PHOTO).read_bytes()).decode()
    transfer = page.evaluate_handle(_DATA_TRANSFER_JS, ["dropped.jpg", data])
    page.dispatch_event("#drop", "drop", {"dataTransfer": transfer})
    expect(page.locator("#progress-label")).to_contain_text("Done", timeout=JOB_TIMEOUT_MS)
    expect(visit.card("dropped.jpg")).to_contain_text("Canon EOS 600D")
    url = f"{image_server}/{GPS_PHOTO}"
    page.fill("#url", url)
    page.keyboard.press("Enter")
    expect(page.locator("article.card")).to_have_count(2)
    expect(page.locator("#progress-label")).to_contain_text("Done", timeout=JOB_TIMEOUT_MS)
    expect(visit.card(url).locator(".coordinates")).to_contain_text("37.746765° N")


def _hash(api_url: str, relative: str) -> str:
    answer = requests.post(
        f"{api_url}/api/v1/hash",
        params={"wait": 30},
        data={"types": "phash"},
        files=upload(corpus_path(relative)),
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["hashes"]["phash"]


def test_two_files_compare_with_the_hash_endpoints_distance(visit, stack):
    page = visit.open()
    visit.choose(GPS_PHOTO, OTHER_PHOTO)
    a, b = _hash(stack.api_url, GPS_PHOTO), _hash(stack.api_url, OTHER_PHOTO)
    expect(visit.card("issue-exifr-59.jpg").locator("[data-hash=phash]")).to_have_text(a)
    visit.card("issue-exifr-59.jpg").get_by_role("button", name="Copy pHash").click()
    assert page.evaluate("navigator.clipboard.readText()") == a
    reference = requests.get(
        f"{stack.api_url}/api/v1/hash/distance", params={"a": a, "b": b}, timeout=10
    ).json()
    page.select_option("#compare-a", label="issue-exifr-59.jpg")
    page.select_option("#compare-b", label="iphone_hdr_YES.jpg")
    page.select_option("#compare-type", "phash")
    page.get_by_role("button", name="Compare").click()
    shown = page.locator("#compare-distance")
    expect(shown).to_have_text(f"{reference['distance']} of 64 bits differ")
    assert int(shown.get_attribute("data-distance")) == reference["distance"]
    similarity = f"{100 * reference['similarity']:.1f} %"
    expect(page.locator("#compare-similarity")).to_have_text(similarity)


def _ten_photos() -> list[str]:
    chosen = [
        f.id
        for f in corpus_files()
        if f.manifest["mime"] == "image/jpeg"
        and f.manifest["has_exif"]
        and not f.manifest["exiftool_error"]
        and not f.manifest["exiftool_warning"]
        and f.manifest["bytes"] < 300_000
        and not any(key.startswith("MPF") for key in f.exiftool)  # multi-picture files aside
    ]
    names = {}
    for relative in chosen:  # distinct file names, so that each card is found by its name
        names.setdefault(relative.rsplit("/", 1)[-1], relative)
    assert len(names) >= 10, "the corpus has fewer than ten small JPEGs"
    return list(names.values())[:10]


def test_ten_files_go_as_one_batch_and_all_are_shown(visit):
    page = visit.open()
    photos = _ten_photos()
    visit.choose(*photos)
    posts = [url for method, url in visit.requests if method == "POST" and "/api/v1/batch" in url]
    polls = [url for method, url in visit.requests if method == "GET" and "/api/v1/batch/" in url]
    assert len(posts) == 2  # the page's start-up probe for an API key (no inputs), the batch
    assert polls and all("include=results" in url and "wait=2" in url for url in polls)
    expect(page.locator("#progress-label")).to_have_text("Done: 10 files read.")
    assert page.locator("#progress").get_attribute("value") == "10"
    expect(page.locator("article.card")).to_have_count(10)
    for relative in photos:
        card = visit.card(relative.rsplit("/", 1)[-1])
        expect(card.locator(".facts")).to_contain_text("pixels")
        expect(card.locator("[data-hash=sha256]")).to_have_count(1)
        expect(card.locator(".state.failed")).to_have_count(0)


# Every control that a person can use: links, buttons, fields, and the groups' summaries.
_TAG_CONTROLS_JS = """() => {
  const all = [...document.querySelectorAll("a[href], button, input, select, textarea, summary")]
    .filter((el) => !el.disabled && el.getClientRects().length && !el.closest("[hidden]"));
  all.forEach((el, i) => { el.dataset.kb = String(i); });
  const name = (el) => el.textContent.trim().slice(0, 30) || el.id;
  return all.map((el) => `${el.tagName.toLowerCase()} ${name(el)}`);
}"""
_FOCUSED_JS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const drawn = el.matches(".file-input") ? el.nextElementSibling : el;
  const style = getComputedStyle(drawn);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
  return { kb: el.dataset.kb ?? null, outline };
}"""


def test_keyboard_alone_reaches_every_control_with_a_visible_focus(visit):
    page = visit.open()
    visit.choose(GPS_PHOTO, OTHER_PHOTO)
    controls = page.evaluate(_TAG_CONTROLS_JS)
    reached: dict[str, bool] = {}
    page.locator("body").click(position={"x": 1, "y": 1})
    for _ in range(len(controls) + 5):
        page.keyboard.press("Tab")
        focused = page.evaluate(_FOCUSED_JS)
        if focused and focused["kb"] is not None:
            reached[focused["kb"]] = focused["outline"]
    missed = [name for i, name in enumerate(controls) if str(i) not in reached]
    assert not missed, f"not reachable with Tab: {missed}"
    unmarked = [controls[int(i)] for i, drawn in reached.items() if not drawn]
    assert not unmarked, f"focus not visible on: {unmarked}"
    summary = page.locator("summary").first
    summary.focus()
    page.keyboard.press("Enter")
    expect(page.locator("details[open]")).to_have_count(1)


def test_phone_width_has_no_horizontal_scroll_and_text_keeps_its_contrast(browser, stack, tmp_path):
    visit = Visit(browser, stack.api_url, width=360)
    page = visit.open()
    visit.choose(GPS_PHOTO, OTHER_PHOTO)
    for summary in page.locator("summary").all():
        summary.click()
    page.get_by_role("button", name="Compare").click()
    expect(page.locator("#compare-distance")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page is {width} px wide at a 360 px viewport"
    failures = page.evaluate(CONTRAST_FAILURES_JS)
    assert not failures, f"text below the WCAG contrast ratio: {failures}"
    shot = tmp_path / "web-page-360px.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")
    visit.close()


def test_an_api_key_is_asked_for_kept_and_sent(browser, stack):
    api_url = stack.start_api(API_KEYS="page-test-key")
    visit = Visit(browser, api_url)
    page = visit.open()
    expect(page.locator("#key-section")).to_be_visible()  # the server says keys are needed
    page.fill("#api-key", "a-wrong-key")
    page.get_by_role("button", name="Save key").click()
    page.set_input_files("#files", str(corpus_path(GPS_PHOTO)))
    expect(page.locator("#key-message")).to_contain_text("did not accept")
    page.fill("#api-key", "page-test-key")
    page.get_by_role("button", name="Save key").click()  # the page carries on by itself
    expect(page.locator("#progress-label")).to_contain_text("Done", timeout=JOB_TIMEOUT_MS)
    expect(visit.card("issue-exifr-59.jpg")).to_contain_text("Canon EOS 600D")
    page.reload()
    page.wait_for_selector("body[data-ready]")
    expect(page.locator("#api-key")).to_have_value("page-test-key")
    visit.close()


def test_the_docs_page_works_offline_and_tries_requests_out(browser, stack):
    visit = Visit(browser, stack.api_url)
    page = visit.context.new_page()
    page.goto("/docs")
    limits = page.locator(".opblock", has=page.locator("[data-path='/api/v1/limits']"))
    limits.locator(".opblock-summary").click()
    # "Try it out" is on from the start (tryItOutEnabled): Execute is there.
    limits.get_by_role("button", name="Execute").click()
    expect(limits.locator(".live-responses-table")).to_contain_text("maxUploadBytes")
    assert any(url.endswith("/api/v1/limits") for _, url in visit.requests)
    visit.close()


def test_the_docs_page_runs_its_json_example_and_an_upload_on_this_server(browser, stack):
    """ "Try it out" on POST /api/v1/extract: the JSON body the document offers (a small JPEG
    of ours), then a corpus photo chosen in the multipart form; the real stack answers both."""
    visit = Visit(browser, stack.api_url)
    page = visit.context.new_page()
    page.goto("/docs")
    extract = page.locator("#operations-jobs-submit_extract")
    extract.locator(".opblock-summary").click()
    extract.get_by_role("button", name="Execute").click()
    answer = extract.locator(".live-responses-table")
    expect(answer).to_contain_text('"Make": "exifq"', timeout=JOB_TIMEOUT_MS)
    expect(answer.locator(".response .response-col_status").first).to_have_text("200")
    posts = [url for method, url in visit.requests if method == "POST"]
    assert posts == [f"{stack.api_url}/api/v1/extract"]  # relative servers: this server

    extract.get_by_label("Request content type").select_option("multipart/form-data")
    extract.locator("tr[data-param-name='wait'] input").fill("30")
    form = extract.locator("tr[data-property-name='file'] input[type=file]")
    form.set_input_files(str(corpus_path(GPS_PHOTO)))
    extract.get_by_role("button", name="Execute").click()
    model = exiftool_reading(GPS_PHOTO)["IFD0:Model"]
    expect(answer).to_contain_text(model, timeout=JOB_TIMEOUT_MS)
    expect(answer.locator(".response .response-col_status").first).to_have_text("200")
    posts = [url for method, url in visit.requests if method == "POST"]
    assert len(posts) == 2 and posts[1].startswith(f"{stack.api_url}/api/v1/extract?wait=30")
    visit.close()


def test_printed_values_are_asked_for_and_raw_ones_shown_on_demand(visit):
    """The spec offers ``values`` on extract, so the page's batch asks for ``values=printed``
    (ExifTool's printed values, from the real engine); "Show raw values" runs a plain extract
    job and shows the raw value under the printed one."""
    visit.open()
    with visit.page.expect_request(re.compile(r".*/api/v1/batch(\?.*)?$")) as batch:
        visit.choose(OTHER_PHOTO)
    assert b'name="values"\r\n\r\nprinted' in (batch.value.post_data_buffer or b"")
    card = visit.card("iphone_hdr_YES.jpg")
    card.get_by_text("EXIF: photo settings").click()
    settings = card.locator("details[data-group='exif.exif']")
    expect(settings).to_contain_text("1/40", timeout=JOB_TIMEOUT_MS)
    with visit.page.expect_request(re.compile(r".*/api/v1/extract\?")) as extract:
        card.get_by_role("button", name="Show raw values").click()
    assert b'name="values"' not in (extract.value.post_data_buffer or b"")
    expect(settings.locator(".raw").first).to_be_visible()
    expect(settings).to_contain_text("raw value: 0.025")
