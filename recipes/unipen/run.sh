#!/usr/bin/env bash
# UNIPEN recipe: prepare one task from a UNIPEN folder you already have, train, score on test.
# Usage: bash recipes/unipen/run.sh SRC_DIR [--task digits|upper|lower|words|lines]
#          [--stage N] [--stop-stage M] [--data DIR] [--exp DIR]
#   SRC_DIR holds the corpus's data/ and include/ folders (original UNIPEN layout).
#   stage 0: python recipes/unipen/prepare.py SRC_DIR DATA --task TASK  (DATA/{train,valid,test}.jsonl)
#   stage 1: seqrec train --config conf/unipen_TASK.yaml
#   stage 2: seqrec evaluate EXP/checkpoints/best.ckpt DATA/test.jsonl --report EXP/report
set -euo pipefail
cd "$(dirname "$0")/../.."

usage="usage: bash recipes/unipen/run.sh SRC_DIR [--task digits|upper|lower|words|lines] [--stage N] [--stop-stage M] [--data DIR] [--exp DIR]"
if [[ $# -lt 1 || $1 == --* ]]; then
  echo "$usage" >&2
  exit 2
fi
src=$1; shift
task=digits
stage=0
stop_stage=2
data=
exp=
while [[ $# -gt 0 ]]; do
  case "$1" in
    --task) task=$2; shift 2 ;;
    --stage) stage=$2; shift 2 ;;
    --stop-stage) stop_stage=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    --exp) exp=$2; shift 2 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done
case "$task" in
  digits|upper|lower|words|lines) ;;
  *) echo "unknown task: $task" >&2; echo "$usage" >&2; exit 2 ;;
esac
data=${data:-data/unipen_$task}
exp=${exp:-exp/unipen_$task}

if [[ $stage -le 0 && $stop_stage -ge 0 ]]; then
  echo "== stage 0: prepare $src ($task) into $data"
  python recipes/unipen/prepare.py "$src" "$data" --task "$task"
fi

if [[ $stage -le 1 && $stop_stage -ge 1 ]]; then
  echo "== stage 1: train into $exp"
  seqrec train --config "conf/unipen_$task.yaml" \
    --data.train_manifest "$data/train.jsonl" \
    --data.valid_manifest "$data/valid.jsonl" \
    --data.test_manifest "$data/test.jsonl" \
    --trainer.default_root_dir "$exp"
fi

if [[ $stage -le 2 && $stop_stage -ge 2 ]]; then
  echo "== stage 2: evaluate on the test split"
  seqrec evaluate "$exp/checkpoints/best.ckpt" "$data/test.jsonl" --report "$exp/report"
fi
