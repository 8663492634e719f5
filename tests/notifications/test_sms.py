"""Text messages: the backends (console, file with its test numbers) and the one-segment text."""

from __future__ import annotations

import io
import json

import pytest

from services_portal.core.sms import (
    ConsoleBackend,
    FileBackend,
    PermanentFailure,
    TemporaryFailure,
    get_backend,
)
from services_portal.notifications.models import Push
from services_portal.notifications.services.sms_text import SmsTooLong, segment_limit, sms_text


@pytest.fixture
def file_backend(tmp_path):
    return FileBackend(path=tmp_path / "sms")


def lines(backend: FileBackend) -> list[dict]:
    return backend.sent()


# -- backends ------------------------------------------------------------------------------------------


def test_the_console_backend_writes_each_message():
    # given a console backend on a stream
    stream = io.StringIO()
    backend = ConsoleBackend(stream=stream)
    # when it sends a message
    gateway_id = backend.send(message_id="portal-1", phone="13800001234", text="hello")
    # then the stream shows it, and the backend does not claim to drop duplicates
    assert stream.getvalue() == "SMS portal-1 to 13800001234: hello\n"
    assert gateway_id == "console-portal-1"
    assert ConsoleBackend.deduplicates is False


def test_the_file_backend_writes_one_json_line_per_message_and_drops_a_second_with_the_same_id(file_backend):
    # when two messages are sent, the first one twice
    first = file_backend.send(message_id="portal-1", phone="13800001234", text="一")
    again = file_backend.send(message_id="portal-1", phone="13800001234", text="一")
    file_backend.send(message_id="portal-2", phone="13800005678", text="二")
    # then the file holds each message once, as a gateway that de-duplicates would deliver them
    assert [(m["message_id"], m["phone"], m["text"]) for m in lines(file_backend)] == [
        ("portal-1", "13800001234", "一"),
        ("portal-2", "13800005678", "二"),
    ]
    assert first == again == "file-portal-1"


def test_the_file_backend_sees_what_another_process_wrote(tmp_path):
    # given two backends on the same directory, as two worker processes would have
    one, other = FileBackend(path=tmp_path), FileBackend(path=tmp_path)
    one.send(message_id="portal-1", phone="13800001234", text="一")
    # when the other sends the same message
    other.send(message_id="portal-1", phone="13800001234", text="一")
    # then it is in the file once
    assert [m["message_id"] for m in FileBackend(path=tmp_path).sent()] == ["portal-1"]


def test_the_file_backends_test_numbers_fail_as_documented(file_backend):
    # a number ending in 0000 fails temporarily, every time
    for _attempt in range(3):
        with pytest.raises(TemporaryFailure):
            file_backend.send(message_id="portal-1", phone="13800000000", text="x")
    # a number ending in 0001 fails temporarily once, then the gateway recovers
    with pytest.raises(TemporaryFailure):
        file_backend.send(message_id="portal-2", phone="13800000001", text="x")
    assert file_backend.send(message_id="portal-2", phone="13800000001", text="x") == "file-portal-2"
    # a number ending in 9999 fails for good
    with pytest.raises(PermanentFailure):
        file_backend.send(message_id="portal-3", phone="13800009999", text="x")
    # and only the message that got through is in the file; the failures are in their own
    assert [m["message_id"] for m in lines(file_backend)] == ["portal-2"]
    failures = [json.loads(line) for line in (file_backend.directory / "failures.jsonl").read_text().splitlines()]
    assert [(f["message_id"], f["failure"]) for f in failures] == [
        ("portal-1", "temporary"),
        ("portal-1", "temporary"),
        ("portal-1", "temporary"),
        ("portal-2", "temporary"),
        ("portal-3", "permanent"),
    ]


def test_the_backend_comes_from_the_setting(settings, tmp_path):
    settings.SMS_BACKEND = "services_portal.core.sms.FileBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "from-setting")
    backend = get_backend()
    assert isinstance(backend, FileBackend)
    assert backend.directory == tmp_path / "from-setting"
    assert get_backend() is backend  # one per process and setting: the file is read once


# -- the text ------------------------------------------------------------------------------------------


def push_titled(title_zh: str, title_en: str = "For you: Childcare subsidy") -> Push:
    return Push(title_zh=title_zh, title_en=title_en, body_zh="", body_en="")


def test_a_chinese_message_fits_one_segment_of_70(settings):
    settings.PORTAL_BASE_URL = "https://gx.example.cn"
    text = sms_text(push=push_titled("为您推荐：育儿补贴"), language="zh-hans")
    assert text == "【广西政务】为您推荐：育儿补贴 详情：https://gx.example.cn/me/inbox/"
    assert segment_limit(text) == 70 and len(text) <= 70


def test_an_english_message_fits_one_segment_of_160_gsm_characters(settings):
    settings.PORTAL_BASE_URL = "https://gx.example.cn"
    text = sms_text(push=push_titled("为您推荐：育儿补贴"), language="en")
    assert text == "Guangxi Gov: For you: Childcare subsidy. Details: https://gx.example.cn/me/inbox/"
    assert segment_limit(text) == 160


def test_a_long_title_is_cut_short_and_the_link_kept_whole(settings):
    # given a title far longer than one Chinese segment holds
    settings.PORTAL_BASE_URL = "https://gx.example.cn"
    title = "为您推荐：" + "城乡居民基本医疗保险参保登记与缴费" * 4
    # when the message is written
    text = sms_text(push=push_titled(title), language="zh-hans")
    # then it is exactly one segment, the title ends in an ellipsis, and the link is whole
    assert len(text) == 70
    assert text.startswith("【广西政务】为您推荐：城乡居民") and "…" in text
    assert text.endswith(" 详情：https://gx.example.cn/me/inbox/")


def test_a_long_english_title_is_cut_with_a_gsm_ellipsis(settings):
    settings.PORTAL_BASE_URL = "https://gx.example.cn"
    text = sms_text(push=push_titled("x", "For you: " + "Basic medical insurance registration " * 6), language="en")
    assert len(text) == 160 and segment_limit(text) == 160
    assert "... Details: https://gx.example.cn/me/inbox/" in text


def test_a_message_that_cannot_say_what_it_is_about_in_one_segment_is_refused(settings):
    # given a link so long that barely any of the title would fit
    settings.PORTAL_BASE_URL = "https://" + "a" * 40 + ".example.cn"
    # then the message is refused (a permanent failure: the push goes on to the next channel)
    with pytest.raises(SmsTooLong):
        sms_text(push=push_titled("为您推荐：城乡居民基本医疗保险参保登记"), language="zh-hans")
    assert issubclass(SmsTooLong, PermanentFailure)
