#!/usr/bin/env bash
# fsdd recipe: prepare the corpus from a folder you already have, train, score on the test split.
# Usage: bash recipes/fsdd/run.sh SRC_DIR [--loso] [--no-synth] [--accents LIST] [--engines LIST]
#          [--stage N] [--stop-stage M] [--data DIR] [--exp DIR] [-- SEQREC_TRAIN_OPTIONS...]
#   stage 0: seqrec synth speech DATA/synth --texts digits  (espeak-ng voices saying one digit,
#            8 kHz), then python recipes/fsdd/prepare.py SRC_DIR DATA --extra-train ...
#            (DATA/{train,valid,test}.jsonl; train pools the real and the synthetic speakers)
#   stage 1: seqrec train --config conf/fsdd.yaml  (EXP/checkpoints/best.ckpt)
#   stage 2: seqrec evaluate EXP/checkpoints/best.ckpt DATA/test.jsonl --report EXP/report,
#            then at input gains -30..+10 dB (recipes/common/gain_sweep.sh: EXP/report_gain*)
#   stage 3: seqrec lm build|lexicon DATA/train.jsonl  (word 3-gram LM and lexicon in EXP/lm)
#   stage 4: seqrec tune-lm on valid (the best settings in EXP/decoding.json), then evaluate
#            test with lexicon beam search (EXP/report_lm)
#   --loso: leave one speaker out. Stages 0-4 run once per speaker of SRC_DIR, each fold in
#           DATA/loso/SPEAKER and EXP/loso/SPEAKER (train on the others, test on all of its
#           takes); stage 5 prints the table of test WER per held-out speaker and the mean
#           (EXP/loso/results.md).
#   --no-synth: train on the real speakers alone (stage 0 neither synthesises nor pools).
#   --accents LIST: the espeak-ng English accents of the synthetic speakers (comma-separated,
#           `seqrec synth speech --accents`; default en); another list rebuilds DATA/synth.
#   --engines LIST: the synthesizers of those speakers (`seqrec synth speech --engines`: espeak,
#           flite, kokoro; default espeak); flite needs `apt-get install flite`, kokoro
#           seqrec's synth extra.
#   Options after -- go to every `seqrec train` (e.g. -- --model.rnn_type gru).
set -euo pipefail
cd "$(dirname "$0")/../.."

usage="usage: bash recipes/fsdd/run.sh SRC_DIR [--loso] [--no-synth] [--accents LIST] [--engines LIST] [--stage N] [--stop-stage M] [--data DIR] [--exp DIR] [-- SEQREC_TRAIN_OPTIONS...]"
if [[ $# -lt 1 || $1 == --* ]]; then
  echo "$usage" >&2
  exit 2
fi
src=$1; shift
stage=0
stop_stage=5
data=data/fsdd
exp=exp/fsdd
loso=false
use_synth=true
accents=en
engines=espeak
train_options=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --) shift; train_options=("$@"); break ;;
    --loso) loso=true; shift ;;
    --no-synth) use_synth=false; shift ;;
    --accents) accents=$2; shift 2 ;;
    --engines) engines=$2; shift 2 ;;
    --stage) stage=$2; shift 2 ;;
    --stop-stage) stop_stage=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    --exp) exp=$2; shift 2 ;;
    *) echo "unknown option: $1" >&2; echo "$usage" >&2; exit 2 ;;
  esac
done

synth=$data/synth  # espeak-ng voices saying digits, shared by every fold

# run_fold DATA EXP [SPEAKER]: stages 0-4 on the official split, or leaving SPEAKER out
run_fold() {
  local data=$1 exp=$2 held_out=${3:-}
  local held_out_option=()
  [[ -n $held_out ]] && held_out_option=(--held-out "$held_out")

  if [[ $stage -le 0 && $stop_stage -ge 0 ]]; then
    local pool=()
    if [[ $use_synth == true ]]; then
      echo "== stage 0: synthetic speakers into $synth"
      seqrec synth speech "$synth" --texts digits --sample-rate 8000 \
        --num-train 3000 --num-valid 300 --num-test 300 --accents "$accents" \
        --engines "$engines"
      pool=(--extra-train "$synth/train.jsonl" --extra-train "$synth/valid.jsonl"
        --extra-train "$synth/test.jsonl")
    fi
    echo "== stage 0: prepare $src into $data ${held_out:+(held-out speaker $held_out)}"
    python recipes/fsdd/prepare.py "$src" "$data" "${held_out_option[@]}" "${pool[@]}"
  fi

  if [[ $stage -le 1 && $stop_stage -ge 1 ]]; then
    echo "== stage 1: train into $exp"
    seqrec train --config conf/fsdd.yaml \
      --data.train_manifest "$data/train.jsonl" \
      --data.valid_manifest "$data/valid.jsonl" \
      --data.test_manifest "$data/test.jsonl" \
      --trainer.default_root_dir "$exp" "${train_options[@]}"
  fi

  if [[ $stage -le 2 && $stop_stage -ge 2 ]]; then
    echo "== stage 2: evaluate on the test split, then at other input levels"
    seqrec evaluate "$exp/checkpoints/best.ckpt" "$data/test.jsonl" --report "$exp/report"
    bash recipes/common/gain_sweep.sh "$exp/checkpoints/best.ckpt" "$data/test.jsonl" "$exp/report"
  fi

  if [[ $stage -le 3 && $stop_stage -ge 3 ]]; then
    echo "== stage 3: word 3-gram LM and lexicon from $data/train.jsonl into $exp/lm"
    seqrec lm build "$data/train.jsonl" --order 3 -o "$exp/lm/word3.arpa"
    seqrec lm lexicon "$data/train.jsonl" -o "$exp/lm/words.txt"
  fi

  if [[ $stage -le 4 && $stop_stage -ge 4 ]]; then
    echo "== stage 4: tune the LM on valid, evaluate test with beam search"
    seqrec tune-lm "$exp/checkpoints/best.ckpt" "$data/valid.jsonl" \
      --lm "$exp/lm/word3.arpa" --lexicon "$exp/lm/words.txt" \
      --lm-weights 0,0.5,1,2,3 --word-scores -2,-1,0,1,2 --save "$exp/decoding.json" \
      | tee "$exp/lm/tune.txt"
    seqrec evaluate "$exp/checkpoints/best.ckpt" "$data/test.jsonl" --report "$exp/report_lm" \
      --decoding-file "$exp/decoding.json"
  fi
}

if [[ $loso == false ]]; then
  run_fold "$data" "$exp"
  exit 0
fi

mapfile -t speakers < <(python recipes/fsdd/prepare.py "$src" --speakers)
for speaker in "${speakers[@]}"; do
  echo "=== fold: $speaker held out"
  run_fold "$data/loso/$speaker" "$exp/loso/$speaker" "$speaker"
done
if [[ $stage -le 5 && $stop_stage -ge 5 ]]; then
  echo "== stage 5: test WER per held-out speaker ($exp/loso/results.md)"
  python recipes/fsdd/loso_table.py "$exp/loso" | tee "$exp/loso/results.md"
fi
