"""recipes/unipen/prepare.py: de-duplication of categories 6/7, writer groups, writer split,
extra train ink of train-only writers (--extra-train), the character lexicon."""

from __future__ import annotations

import importlib.util
import math
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest
import torch

from seqrec.data.manifest import read_manifest
from seqrec.decoding.config import DecoderConfig, build_decoder
from seqrec.decoding.greedy import greedy_texts
from seqrec.ink import Ink
from seqrec.text.tokenizer import CharTokenizer

REPO = Path(__file__).resolve().parents[2]
REAL_UNIPEN = REPO.parent / "shared" / "data" / "unipen"


def load_recipe(name: str) -> ModuleType:
    """Import recipes/<name>/prepare.py (recipes/ is not a package; registered in sys.modules
    so that its dataclasses and worker processes find it)."""
    spec = importlib.util.spec_from_file_location(
        f"recipe_{name}_prepare", REPO / "recipes" / name / "prepare.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


prepare = load_recipe("unipen")

# (institution, writer): cea and cec share writer "dt" (one person: ced/dt).
WRITERS = [("cea", "dt"), ("cec", "dt"), ("cec", "mk"), ("abc", "dt"), ("abc", "x1"),
           ("abc", "x2"), ("abc", "x3"), ("def", "y1"), ("def", "y2"), ("def", "y3")]  # fmt: skip


def write_corpus(root: Path) -> None:
    for number, (institution, writer) in enumerate(WRITERS):
        ink = root / "include" / institution / f"w{number}.dat"
        ink.parent.mkdir(parents=True, exist_ok=True)
        blocks = "".join(f".PEN_DOWN\n{k} {k}\n{k + 1} {k + 2}\n.PEN_UP\n" for k in range(4))
        ink.write_text(f".COORD X Y\n.WRITER_ID {writer}\n{blocks}")
        for category, labels in (("6", ["one", "two", "three"]), ("7", ["one", "2", "three", "4"])):
            label_file = root / "data" / category / institution / f"w{number}.dat"
            label_file.parent.mkdir(parents=True, exist_ok=True)
            segments = "".join(
                f'.SEGMENT WORD {k} {"BAD" if k == 3 else "OK"} "{label}"\n'
                for k, label in enumerate(labels)
            )
            label_file.write_text(f".INCLUDE {institution}/w{number}.dat\n{segments}")


def test_words_dedup_groups_and_writer_split(tmp_path: Path) -> None:
    src, out = tmp_path / "unipen", tmp_path / "out"
    write_corpus(src)
    splits = prepare.prepare(src, out, "words", jobs=1, progress=False)
    rows = [row for split in splits.values() for row in split]
    # 10 ink files x 4 distinct segments: category 7 repeats 3 of 6's 3 segments (one relabelled)
    assert len(rows) == 40
    assert sum(row["category"] == "6" for row in rows) == 30
    writers = {row["writer"] for row in rows}
    assert len(writers) == 9 and "ced/dt" in writers and "abc/dt" in writers
    assert {row["writer"] for row in rows if row["institution"] == "cea"} == {"ced/dt"}
    seen: dict[str, str] = {}
    for split, split_rows in splits.items():
        assert split_rows, split
        for row in split_rows:
            assert seen.setdefault(row["writer"], split) == split

    assert prepare.main([str(src), str(out), "--task", "words", "--jobs", "1", "--drop-bad"]) == 0
    entries = [
        e for split in ("train", "valid", "test") for e in read_manifest(out / f"{split}.jsonl")
    ]
    assert len(entries) == 30 and all(e.extra["quality"] != "BAD" for e in entries)
    assert not (out / "lexicon.txt").exists()  # words: no character lexicon
    ink = Ink.load(entries[0].path)
    assert entries[0].path.is_relative_to(out / "ink" / "6")
    assert ink.strokes[0][:, 1].tolist() == [-0.0, -2.0] and ink.time_source == "index"


def test_split_writers_is_seeded_and_proportional() -> None:
    counts = {f"i/w{k}": 10 + k for k in range(50)}
    first = prepare.split_writers(counts, 0, 0.1, 0.1)
    assert first == prepare.split_writers(counts, 0, 0.1, 0.1)
    assert first != prepare.split_writers(counts, 1, 0.1, 0.1)
    total = sum(counts.values())
    for split, share in (("train", 0.8), ("valid", 0.1), ("test", 0.1)):
        size = sum(n for w, n in counts.items() if first[w] == split)
        assert abs(size / total - share) < 0.03


def test_missing_layout_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert prepare.main([str(tmp_path), str(tmp_path / "out"), "--task", "digits"]) == 1
    assert "expected data/ and include/" in capsys.readouterr().err


def write_char_corpus(root: Path) -> None:
    """1a digits of 10 writers abc/d0..d9 (components 0-3 of their ink), 1b/1c letters of the
    same ink files (4-5, 6-7) plus a 1b "O" relabelling the digit 0's ink (a duplicate); a
    writer xyz/solo who wrote 1b/1c only (1c "x" repeats 1b "X"'s ink); and nwr/anon.dat, ink
    without a writer id labelled by 1a p.dat (writer nwr/unknown-p, who alone wrote a "9") and
    1b q.dat (nwr/unknown-q): one person under two writer keys."""

    def ink(name: str, writer: str | None, components: int) -> None:
        path = root / "include" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        blocks = "".join(
            f".PEN_DOWN\n{k} {k}\n{k + 1} {k + 2}\n.PEN_UP\n" for k in range(components)
        )
        header = f".WRITER_ID {writer}\n" if writer else ""
        path.write_text(f".COORD X Y\n{header}{blocks}")

    def labels(category: str, name: str, include: str, segments: dict[int, str]) -> None:
        path = root / "data" / category / name
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = "".join(f'.SEGMENT CHARACTER {k} OK "{label}"\n' for k, label in segments.items())
        path.write_text(f".INCLUDE {include}\n{lines}")

    for k in range(10):
        name = f"abc/w{k}.dat"
        ink(name, f"d{k}", 8)
        labels("1a", name, name, {0: "0", 1: "1", 2: "2", 3: "3"})
        labels("1b", name, name, {0: "O", 4: "A", 5: "B"})
        labels("1c", name, name, {6: "a", 7: "b"})
    ink("xyz/solo.dat", "solo", 3)
    labels("1b", "xyz/solo.dat", "xyz/solo.dat", {0: "X"})
    labels("1c", "xyz/solo.dat", "xyz/solo.dat", {0: "x", 1: "y", 2: "z"})
    ink("nwr/anon.dat", None, 6)
    labels("1a", "nwr/p.dat", "nwr/anon.dat", {0: "9", 1: "1", 2: "2", 3: "3"})
    labels("1b", "nwr/q.dat", "nwr/anon.dat", {4: "C", 5: "D"})


CHAR_SEED = 23  # deals nwr/unknown-p (the only "9") to test, as the tests check


def _manifests(out: Path) -> dict[str, list]:
    return {s: read_manifest(out / f"{s}.jsonl") for s in ("train", "valid", "test")}


def _key(entry) -> tuple[str, str, str]:
    return entry.extra["source"], entry.extra["delineation"], entry.text


def test_extra_train_only_from_train_only_writers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "unipen"
    write_char_corpus(src)
    base = ["--task", "digits", "--jobs", "1", "--seed", str(CHAR_SEED)]
    assert prepare.main([str(src), str(tmp_path / "plain"), *base]) == 0
    capsys.readouterr()
    out = tmp_path / "pooled"
    assert prepare.main([str(src), str(out), *base, "--extra-train", "upper,lower"]) == 0
    summary = capsys.readouterr().out
    plain, pooled = _manifests(tmp_path / "plain"), _manifests(out)

    # the split is the main task's alone: valid/test unchanged, 1a train rows unchanged
    for split in ("valid", "test"):
        assert [_key(e) for e in pooled[split]] == [_key(e) for e in plain[split]]
        assert all(e.extra["category"] == "1a" for e in pooled[split])
    main_train = [e for e in pooled["train"] if e.extra["category"] == "1a"]
    assert [_key(e) for e in main_train] == [_key(e) for e in plain["train"]]
    own = [_key(e) for e in read_manifest(out / "train_task.jsonl")]
    assert own == [_key(e) for e in plain["train"]]
    assert not (tmp_path / "plain" / "train_task.jsonl").exists()
    held_out = {e.extra["writer"] for split in ("valid", "test") for e in pooled[split]}
    train_writers = {e.extra["writer"] for e in plain["train"]}
    assert held_out and "nwr/unknown-p" in held_out  # CHAR_SEED's split, as the fixture wants

    extra = [e for e in pooled["train"] if e.extra["category"] != "1a"]
    extra_by_writer: dict[str, list[str]] = {}
    for entry in extra:
        extra_by_writer.setdefault(entry.extra["writer"], []).append(entry.text)
    # a writer in valid/test of digits never contributes extra ink (nor its ink file's other
    # writer key, nwr/unknown-q); no ink written for dropped segments
    assert not set(extra_by_writer) & held_out
    assert "nwr/unknown-q" not in extra_by_writer and not (out / "ink" / "1b" / "nwr").exists()
    for writer in held_out - {"nwr/unknown-p"}:
        assert not (out / "ink" / "1b" / "abc" / f"w{writer[5:]}").exists()
    # train writers contribute their letters (the duplicate "O" left out), so does a writer
    # who never wrote 1a ("x" repeats "X"'s ink)
    for writer in train_writers:
        assert sorted(extra_by_writer.pop(writer)) == ["A", "B", "a", "b"]
    assert extra_by_writer == {"xyz/solo": ["X", "y", "z"]}
    for entry in extra:
        assert Ink.load(entry.path).num_points == entry.extra["num_points"] == 2

    line = next(s for s in summary.splitlines() if s.startswith("extra train"))
    numbers = re.search(
        r"added (\d+) segments of (\d+) writers \((\d+) not in digits\); dropped (\d+) "
        r"for writer overlap \((\d+) valid, (\d+) test, (\d+) sharing an ink file with "
        r"valid/test\), (\d+) duplicate ink \((\d+) with another label\)",
        line,
    )
    assert numbers, line
    abc = {
        split: {e.extra["writer"] for e in pooled[split]} - {"nwr/unknown-p"}
        for split in ("valid", "test")
    }
    assert [int(n) for n in numbers.groups()] == [
        len(extra),  # added
        len(train_writers) + 1,  # of writers: train writers and xyz/solo
        1,
        4 * len(held_out - {"nwr/unknown-p"}) + 2,  # writer overlap: 4 letters each, nwr's 2
        4 * len(abc["valid"]),
        4 * len(abc["test"]),
        2,  # nwr/unknown-q's 1b shares nwr/anon.dat with the 1a of held-out nwr/unknown-p
        11,  # ten "O" on a "0" and the "x" on the "X"
        11,
    ]


def test_lexicon_is_the_main_task_train_labels(tmp_path: Path) -> None:
    src, out = tmp_path / "unipen", tmp_path / "out"
    write_char_corpus(src)
    args = [str(src), str(out), "--task", "digits", "--jobs", "1", "--seed", str(CHAR_SEED)]
    assert prepare.main([*args, "--extra-train", "lower,upper"]) == 0
    # not the letters pooled into train, nor the "9" that only a test writer wrote
    assert "9" in {e.text for e in read_manifest(out / "test.jsonl")}
    assert (out / "lexicon.txt").read_text() == "0\n1\n2\n3\n"
    assert prepare.main([*args, "--task", "lower"]) == 0
    assert (out / "lexicon.txt").read_text().split() == ["a", "b", "x", "y", "z"]


def test_extra_train_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "unipen"
    write_char_corpus(src)
    base = [str(src), str(tmp_path / "out"), "--task", "digits", "--jobs", "1"]
    for bad in ("upper,cursive", "digits"):
        with pytest.raises(SystemExit) as exc:
            prepare.main([*base, "--extra-train", bad])
        assert exc.value.code == 2
    assert "unknown task(s) cursive" in capsys.readouterr().err
    assert prepare.main([*base, "--extra-train", "none"]) == 0
    assert "extra train" not in capsys.readouterr().out


def test_digit_lexicon_constrains_a_model_with_letters(tmp_path: Path) -> None:
    """Single-character lexicon words decode with flashlight's lexicon decoder, and a digit
    model whose vocabulary also holds the pooled letters then outputs one digit only."""
    lexicon = tmp_path / "lexicon.txt"
    lexicon.write_text("".join(f"{d}\n" for d in "0123456789"))
    tokenizer = CharTokenizer(sorted("0123456789ABOSZabloz"))
    decoder = build_decoder(DecoderConfig(kind="beam", lexicon=lexicon), tokenizer)

    def frames(spec: list[dict[str, float]]) -> torch.Tensor:
        x = torch.full((1, len(spec), tokenizer.vocab_size), math.log(1e-4))
        for t, probs in enumerate(spec):
            for char, prob in probs.items():
                x[0, t, 0 if char == "_" else tokenizer.encode(char)[0]] = math.log(prob)
        return x.log_softmax(-1)

    cases = [
        ([{"_": 0.9}, {"O": 0.6, "0": 0.3}, {"_": 0.9}], "O", "0"),
        ([{"l": 0.5, "1": 0.4}, {"l": 0.5, "1": 0.4}], "l", "1"),
        ([{"7": 0.9}], "7", "7"),
        ([{"1": 0.9}, {"_": 0.9}, {"7": 0.6, "_": 0.3}], "17", "1"),  # one word only
        ([{"Z": 0.5, "2": 0.2, "z": 0.2}, {"_": 0.9}], "Z", "2"),
    ]
    for spec, greedy, constrained in cases:
        x = frames(spec)
        lengths = torch.tensor([x.shape[1]])
        assert greedy_texts(x, lengths, tokenizer) == [greedy]
        assert decoder(x, lengths) == [constrained]


@pytest.mark.skipif(not REAL_UNIPEN.is_dir(), reason=f"{REAL_UNIPEN} not available")
def test_real_corpus_digits(tmp_path: Path) -> None:
    splits = prepare.prepare(REAL_UNIPEN, tmp_path, "digits", jobs=2, progress=False)
    assert sum(len(rows) for rows in splits.values()) == 2372  # README: usable 1a segments
    writers = {split: {row["writer"] for row in rows} for split, rows in splits.items()}
    assert not writers["train"] & writers["valid"]
    assert not writers["train"] & writers["test"]
    assert not writers["valid"] & writers["test"]
    assert all(len(rows) > 100 for rows in splits.values())
    row = splits["test"][0]
    assert row["text"].isdigit() and len(row["text"]) == 1
    assert Ink.load(tmp_path / row["ink_filepath"]).num_points == row["num_points"]
