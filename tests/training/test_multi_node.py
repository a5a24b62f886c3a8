"""Two "nodes" of one CPU process each on this machine, launched as on a cluster (gloo,
``MASTER_ADDR=127.0.0.1``, ``NODE_RANK`` 0 and 1, ``--trainer.num_nodes 2``) through
``seqrec train``: the ranks train on disjoint batches that together cover the epoch, and
only node 0 writes checkpoints."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from itertools import product
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

REPO = Path(__file__).resolve().parents[2]
RATE = 8000


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """24 files of tones, each with its own text (sequences of yes and no), and 4 to valid."""
    root = tmp_path_factory.mktemp("launch_corpus")
    texts = [" ".join(words) for n in (2, 3, 4) for words in product(["yes", "no"], repeat=n)]
    rng = np.random.default_rng(0)
    for split, chosen in (("train", texts[:24]), ("valid", texts[24:28])):
        lines = []
        for i, text in enumerate(chosen):
            t = np.arange(int(rng.uniform(0.3, 0.8) * RATE)) / RATE
            path = root / f"{split}{i}.wav"
            sf.write(path, (0.3 * np.sin(2 * np.pi * 300 * t)).astype(np.float32), RATE)
            lines.append(json.dumps({"audio_filepath": str(path), "text": text}))
        (root / f"{split}.jsonl").write_text("\n".join(lines) + "\n")
    return root


def test_two_nodes_train_on_disjoint_batches_and_node_0_writes_the_checkpoints(corpus, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tmp_path / "batches"
    log.mkdir()
    nodes = []
    for node in (0, 1):
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(REPO), str(Path(__file__).parent)]),
            "MASTER_ADDR": "127.0.0.1",
            "MASTER_PORT": str(port),
            "NODE_RANK": str(node),
            "SEQREC_BATCH_LOG": str(log),
            "OMP_NUM_THREADS": "1",
        }
        command = [
            sys.executable, "-m", "seqrec", "train",
            "--config", str(REPO / "conf/yesno.yaml"),
            "--data.train_manifest", str(corpus / "train.jsonl"),
            "--data.valid_manifest", str(corpus / "valid.jsonl"),
            "--data.test_manifest", "null",
            "--data.batch_size", "2",
            "--data.speed_perturb", "null",
            "--data.concat_prob", "0",  # the batch log counts files, not joined examples
            "--model.hidden_size", "16",
            "--model.num_layers", "1",
            "--trainer.max_epochs", "1",
            "--trainer.check_val_every_n_epoch", "1",
            "--trainer.logger", "false",
            "--trainer.enable_progress_bar", "false",
            "--trainer.accelerator", "cpu",
            "--trainer.strategy", "ddp",
            "--trainer.devices", "1",
            "--trainer.num_nodes", "2",
            "--trainer.callbacks+=batch_log.BatchLog",
            "--trainer.default_root_dir", str(tmp_path / f"node{node}"),
        ]  # fmt: skip
        nodes.append(
            subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        )
    outputs = [node.communicate(timeout=600)[0].decode(errors="replace") for node in nodes]
    for node, output in zip(nodes, outputs, strict=True):
        assert node.returncode == 0, output[-3000:]

    seen = []
    for rank in (0, 1):
        lines = (log / f"rank{rank}.jsonl").read_text().splitlines()
        seen.append([text for line in lines for text in json.loads(line)["texts"]])
    assert len(seen[0]) == len(seen[1]) == 12  # 24 utterances, half each
    assert not set(seen[0]) & set(seen[1])
    assert set(seen[0]) | set(seen[1]) == {
        json.loads(line)["text"] for line in (corpus / "train.jsonl").read_text().splitlines()
    }
    assert sorted(p.name for p in (tmp_path / "node0/checkpoints").iterdir()) == [
        "best.ckpt",
        "last.ckpt",
    ]
    assert not (tmp_path / "node1/checkpoints").exists()
