"""The live page in a real browser: headless Chromium (Debian's package, driven by Selenium)
writes an ink on ``#ink-canvas`` with pointer events and speaks a WAV file into the
microphone through Chromium's fake capture device; the transcripts on the page are the
recognizer's. Screenshots land in the test's tmp dir."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

webdriver = pytest.importorskip("selenium.webdriver")
pytest.importorskip("uvicorn")
CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
if CHROMIUM is None or DRIVER is None:
    pytest.skip("Debian's chromium and chromium-driver are not installed", allow_module_level=True)

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from seqrec.ink import Ink  # noqa: E402
from seqrec.recognizer import Recognizer  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "checkpoints"
MODELS = [FIXTURES / "audio_v0.ckpt", FIXTURES / "ink_v0.ckpt"]
DRAW = """
const [strokes, done] = [arguments[0], arguments[arguments.length - 1]];
const canvas = document.getElementById("ink-canvas");
const box = canvas.getBoundingClientRect();
const fire = (type, [x, y]) => canvas.dispatchEvent(new PointerEvent(type, {
  clientX: box.left + x, clientY: box.top + y, pointerId: 1, pointerType: "pen",
  isPrimary: true, bubbles: true, buttons: type === "pointerup" ? 0 : 1, pressure: 0.5}));
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
(async () => {
  for (const stroke of strokes) {
    fire("pointerdown", stroke[0]);
    for (const point of stroke.slice(1)) { await pause(1); fire("pointermove", point); }
    fire("pointerup", stroke[stroke.length - 1]);
    await pause(20);
  }
  done(true);
})();
"""


@pytest.fixture(scope="module")
def service(running_service):
    with running_service() as base:
        yield base


def browser(*flags: str):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1100,900"):
        options.add_argument(flag)
    for flag in flags:
        options.add_argument(flag)
    return webdriver.Chrome(options=options, service=webdriver.ChromeService(DRIVER))


def canvas_strokes(ink: Ink, width: float, height: float) -> list[list[list[float]]]:
    """The ink's strokes scaled into a canvas of ``width`` x ``height`` CSS pixels."""
    points = ink.points()[:, :2]
    low, span = points.min(0), (points.max(0) - points.min(0)).max()
    scale = 0.8 * min(width, height * 3) / span
    return [(((s[:, :2] - low) * scale) + 10).tolist() for s in ink.strokes]


def test_an_ink_drawn_on_the_canvas_reads_as_the_recognizer_reads_it(service, tmp_path):
    ink = Ink.load(FIXTURES / "ink_input.json")
    driver = browser()
    try:
        driver.get(service)
        wait = WebDriverWait(driver, 60)
        wait.until(lambda d: "ink:" in d.find_element(By.ID, "models").text)
        canvas = driver.find_element(By.ID, "ink-canvas")
        strokes = canvas_strokes(ink, canvas.size["width"], canvas.size["height"])
        driver.set_script_timeout(120)
        driver.execute_async_script(DRAW, strokes)
        count = len(ink.strokes)
        wait.until(lambda d: d.execute_script("return seqrec.inkReplies.length") >= count)
        replies = driver.execute_script("return seqrec.inkReplies")
        sent = driver.execute_script("return seqrec.strokes")
        driver.save_screenshot(str(tmp_path / "ink.png"))
        shown = driver.find_element(By.ID, "ink-text").text
    finally:
        driver.quit()
    assert [r["type"] for r in replies] == ["transcript"] * count
    assert replies[-1]["strokes"] == count == len(sent)
    drawn = Ink([np.asarray(s, dtype=float) for s in sent], "recorded")
    expected = Recognizer.load(MODELS[1]).transcribe(drawn)[0].text
    assert shown == expected == replies[-1]["text"] and expected
    assert (tmp_path / "ink.png").stat().st_size > 1000


def test_speech_from_the_fake_microphone_gets_partials_and_a_final_transcript(service, tmp_path):
    wav = FIXTURES / "audio_input.wav"
    driver = browser(
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={wav}",
        "--autoplay-policy=no-user-gesture-required",
    )
    try:
        driver.get(service)
        wait = WebDriverWait(driver, 60)
        wait.until(lambda d: "audio:" in d.find_element(By.ID, "models").text)
        driver.find_element(By.ID, "mic-button").click()
        wait.until(lambda d: d.execute_script("return seqrec.speechReplies.length") >= 2)
        driver.find_element(By.ID, "mic-button").click()
        wait.until(
            lambda d: d.execute_script(
                "return seqrec.speechReplies.some((r) => r.type === 'final')"
            )
        )
        replies = driver.execute_script("return seqrec.speechReplies")
        driver.save_screenshot(str(tmp_path / "speech.png"))
        shown = driver.find_element(By.ID, "speech-text").text
    finally:
        driver.quit()
    kinds = [r["type"] for r in replies]
    assert kinds[0] == "partial" and kinds[-1] == "final" and "error" not in kinds
    final = replies[-1]
    assert final["seconds"] >= 1.0 and final["text"] and final["words"]
    assert shown == final["text"]
