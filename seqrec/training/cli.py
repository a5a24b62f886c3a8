"""``seqrec train``: LightningCLI with seqrec's links, checkpoint layout and defaults.

Every Trainer option passes straight through (``--trainer.devices 2`` ...); nothing of
Lightning's is copied here.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.cli import LightningArgumentParser, LightningCLI

from seqrec.data.datamodule import SeqRecDataModule
from seqrec.models.checkpoint import read_checkpoint
from seqrec.training.last_checkpoint import LastCheckpoint
from seqrec.training.module import ResumeError, SeqRecModule

TRAINER_DEFAULTS = {
    "default_root_dir": "exp/seqrec",
    "max_epochs": 20,
    "gradient_clip_val": 5.0,
    "log_every_n_steps": 10,
    # BucketBatchSampler shards batches across ranks itself.
    "use_distributed_sampler": False,
}


def checkpoint_dir(root: str | None) -> str:
    """``ROOT/checkpoints``, where best.ckpt and last.ckpt are written.

    Args:
        root: the run's ``trainer.default_root_dir``; None: the current folder.

    Returns:
        The checkpoint folder's path.
    """
    return str(Path(root or ".") / "checkpoints")


class SeqRecCLI(LightningCLI):
    """Links data -> model (text, sample rate, modality) and adds best/last checkpointing.

    ``checkpoint`` keeps best.ckpt (lowest ``checkpoint.monitor``, valid WER by default);
    ``last_checkpoint`` (``LastCheckpoint``) writes last.ckpt after every validation, whether
    or not it improved (Lightning's own ``save_last`` only follows saves of the best, so a
    resume from it would lose the epochs since the last improvement), and every
    ``checkpoint.every_n_train_steps`` steps when that is given.

    Args:
        model_class: the module to train (``train``: ``SeqRecModule``).
        datamodule_class: its data module (``train``: ``SeqRecDataModule``).
        save_config_callback: the callback that saves the run's config (None: not saved).
        save_config_kwargs: that callback's keyword arguments (``train``: overwrite).
        trainer_class: the Trainer class.
        trainer_defaults: Trainer option defaults (``train``: ``TRAINER_DEFAULTS``).
        seed_everything_default: the default seed (``train``: 0).
        parser_kwargs: keyword arguments of the argument parsers.
        parser_class: the argument parser class.
        subclass_mode_model: whether ``--model`` takes subclasses of ``model_class``.
        subclass_mode_data: whether ``--data`` takes subclasses of ``datamodule_class``.
        args: command-line style arguments; None: ``sys.argv``.
        run: whether to run a subcommand (``train``: False; it calls ``fit`` itself).
        auto_configure_optimizers: whether to add optimizer and scheduler options
            (``train``: False; ``SeqRecModule.configure_optimizers`` sets them).
        load_from_checkpoint_support: whether hyper-parameters are saved as parsed, for
            ``load_from_checkpoint`` (``train``: False; checkpoints carry a model spec).
    """

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        parser.add_argument(
            "--ckpt_path", type=str | None, default=None, help="resume: a path or 'last'"
        )
        parser.link_arguments("data.sample_rate", "model.sample_rate")
        parser.link_arguments("data.text_config", "model.text", apply_on="instantiate")
        parser.link_arguments("data.modality", "model.modality", apply_on="instantiate")
        parser.add_lightning_class_args(ModelCheckpoint, "checkpoint")
        parser.set_defaults(
            {
                "checkpoint.monitor": "valid_wer",
                "checkpoint.mode": "min",
                "checkpoint.filename": "best",
                "checkpoint.enable_version_counter": False,
            }
        )
        parser.link_arguments("trainer.default_root_dir", "checkpoint.dirpath", checkpoint_dir)
        parser.add_lightning_class_args(LastCheckpoint, "last_checkpoint")
        parser.link_arguments("trainer.default_root_dir", "last_checkpoint.dirpath", checkpoint_dir)

    def before_instantiate_classes(self) -> None:
        """``--checkpoint.every_n_train_steps N`` writes last.ckpt every N steps: best.ckpt is
        chosen at validations only (a best.ckpt saved N steps after its validation would
        hold other weights than the ones scored)."""
        config = self.config
        steps = config.checkpoint.every_n_train_steps
        if steps:
            config.last_checkpoint.every_n_train_steps = steps
            config.checkpoint.every_n_train_steps = None


def train(args: list[str]) -> ModelCheckpoint:
    """Run ``seqrec train``: parse the arguments, then fit (resuming from ``--ckpt_path``).

    Args:
        args: command-line style arguments, without the ``train`` verb.

    Returns:
        The best-checkpoint callback (``.best_model_path``, ``.best_model_score``).

    Raises:
        ResumeError: when the ``--ckpt_path`` file is not a readable seqrec checkpoint, or
            is one of another network.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*args parameter is intended.*")
        cli = SeqRecCLI(
            SeqRecModule,
            SeqRecDataModule,
            args=args,
            run=False,
            trainer_defaults=TRAINER_DEFAULTS,
            seed_everything_default=0,
            auto_configure_optimizers=False,
            load_from_checkpoint_support=False,
            save_config_kwargs={"overwrite": True},
        )
    ckpt_path = cli.config.ckpt_path
    if ckpt_path is not None and Path(ckpt_path).is_file():
        try:
            read_checkpoint(ckpt_path)  # before Lightning reads it, so the error says what it is
        except (ValueError, RuntimeError, OSError) as err:
            raise ResumeError(f"--ckpt_path {err}") from None
    cli.trainer.fit(cli.model, datamodule=cli.datamodule, ckpt_path=ckpt_path)
    return cli.trainer.checkpoint_callback
