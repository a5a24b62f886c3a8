"""The live page in a real browser: headless Chromium (Debian's package, driven by Selenium)
writes a line of the ink demo's test set on ``#ink-canvas`` with pointer events, and speaks
a recording of a synthetic test voice into the microphone through Chromium's fake capture
device (played once); the transcripts on the page are the recognizer's of the strokes and of
the audio the page sent, and that audio is the file (its loudness over time: a busy machine's
browser drops audio chunks). Screenshots land in the test's tmp dir."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from torchaudio.functional import resample

webdriver = pytest.importorskip("selenium.webdriver")
pytest.importorskip("uvicorn")
CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
if CHROMIUM is None or DRIVER is None:
    pytest.skip("Debian's chromium and chromium-driver are not installed", allow_module_level=True)

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from seqrec.data.manifest import read_manifest  # noqa: E402
from seqrec.ink import Ink  # noqa: E402
from seqrec.recognizer import Recognizer  # noqa: E402
from seqrec.synth.ink_corpus import plan_split, render  # noqa: E402

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
    ink = render(plan_split("test", 1, seed=0)[0])  # a line of the ink demo's test set
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


def spoken_file(model: Path, manifest: Path, out: Path) -> Path:
    """A test recording the model reads right, written with 0.5 s of silence before and
    after (the fake microphone starts before the page listens)."""
    rec = Recognizer.load(model)
    for entry in read_manifest(manifest):
        wave, rate = sf.read(entry.path, dtype="float32")
        padded = np.concatenate([np.zeros(rate // 2), wave, np.zeros(rate // 2)])
        sf.write(out, padded, rate, subtype="PCM_16")
        if rec.transcribe(sf.read(out, dtype="float32")[0], sample_rate=rate)[0].text == (
            rec.normalizer(entry.text)
        ):
            return out
    pytest.fail(f"the test session's speech model reads none of {manifest}")


def best_match(sent: np.ndarray, played: np.ndarray) -> float:
    """The largest correlation coefficient of ``played`` (T,) against any stretch of ``sent``
    (T',) at some lag: 1.0 when the page sent the recording unchanged."""
    n = len(sent) + len(played)
    lags = np.fft.irfft(np.fft.rfft(sent, n) * np.conj(np.fft.rfft(played, n)), n)
    lag = int(np.argmax(lags[: len(sent)]))
    stretch = sent[lag : lag + len(played)]
    return float(np.corrcoef(stretch, played[: len(stretch)])[0, 1])


def envelope(wave: np.ndarray, rate: int) -> np.ndarray:
    """RMS of each 20 ms of ``wave`` (S,): a shape that a busy browser's dropped or repeated
    audio chunks barely change, where they shift the samples after them."""
    frame = rate // 50
    count = len(wave) // frame
    return np.sqrt(np.mean(wave[: count * frame].reshape(count, frame) ** 2, axis=1))


def test_speech_from_the_fake_microphone_reads_as_the_recognizer_reads_the_file(
    running_service, speech_model, tmp_path
):
    model, manifest = speech_model
    wav = spoken_file(model, manifest, tmp_path / "spoken.wav")
    duration = sf.info(wav).duration
    driver = browser(
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={wav}%noloop",
        "--autoplay-policy=no-user-gesture-required",
    )
    try:
        with running_service(models=[model, MODELS[1]]) as base:
            driver.get(base)
            wait = WebDriverWait(driver, 60)
            wait.until(lambda d: "audio:" in d.find_element(By.ID, "models").text)
            driver.find_element(By.ID, "mic-button").click()
            heard = "return Math.max(0, ...seqrec.speechReplies.map((r) => r.seconds || 0))"
            wait.until(lambda d: d.execute_script(heard) >= duration + 0.5)
            driver.find_element(By.ID, "mic-button").click()
            final = "return seqrec.speechReplies.some((r) => r.type === 'final')"
            wait.until(lambda d: d.execute_script(final))
            replies = driver.execute_script("return seqrec.speechReplies")
            sent = driver.execute_script(
                "return [seqrec.micRate, seqrec.speechSent.flatMap((pcm) => Array.from(pcm))]"
            )
            driver.save_screenshot(str(tmp_path / "speech.png"))
            shown = driver.find_element(By.ID, "speech-text").text
    finally:
        driver.quit()
    kinds = [r["type"] for r in replies]
    assert kinds[0] == "partial" and kinds[-1] == "final" and "error" not in kinds, replies
    last = replies[-1]
    assert shown == last["text"] and len(last["words"]) == len(shown.split()), replies
    samples = np.asarray(sent[1], dtype=np.float32) / 32768.0
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the service runs (seqrec serve --threads 1): same rounding
    try:
        heard = Recognizer.load(model).transcribe(samples, sample_rate=16000)[0].text
    finally:
        torch.set_num_threads(threads)
    # the final is the offline transcript of what the page sent
    assert shown == heard, f"page {shown!r}, offline {heard!r}, replies {replies}"
    played, file_rate = sf.read(wav, dtype="float32")
    played = resample(torch.from_numpy(played), file_rate, int(sent[0])).numpy()
    rate = int(sent[0])
    match = best_match(envelope(samples, rate), envelope(played, rate))
    exact = best_match(samples, played)  # 0.99 on an idle machine, lower under load
    assert match > 0.8, f"what the page sent matches the recording at {match:.3f} ({exact:.3f})"
    assert (tmp_path / "speech.png").stat().st_size > 1000
