#!/usr/bin/env bash
# UNIPEN recipe: prepare one task from a UNIPEN folder you already have, train, score on test.
# Usage: bash recipes/unipen/run.sh SRC_DIR [--task digits|upper|lower|words|lines]
#          [--extra-train LIST] [--init-from CKPT] [--stage N] [--stop-stage M] [--data DIR]
#          [--exp DIR] [-- SEQREC_TRAIN_OPTIONS...]
#   SRC_DIR holds the corpus's data/ and include/ folders (original UNIPEN layout).
#   --extra-train LIST: tasks (comma list, e.g. upper,lower) whose ink is added to train only,
#     from writers that the main task's writer split did not put in valid or test (see
#     prepare.py). Default: upper,lower for --task digits (its 1a train set alone is ~2k
#     segments), none for the other tasks; "none" turns it off. With extra tasks DATA and EXP
#     default to data/unipen_TASK_pooled and exp/unipen_TASK_pooled, else to
#     data/unipen_TASK and exp/unipen_TASK.
#   --init-from CKPT: stage 1 starts from this trained model's weights (seqrec train
#     --model.init_from), e.g. lines from a words model, which has the same sizes and features.
#   Options after "--" go to stage 1's seqrec train, e.g. -- --trainer.max_epochs 12
#   stage 0: python recipes/unipen/prepare.py SRC_DIR DATA --task TASK [--extra-train LIST]
#            (DATA/{train,valid,test}.jsonl; DATA/lexicon.txt for digits/upper/lower)
#   stage 1: seqrec train --config conf/unipen_TASK.yaml [--model.init_from CKPT]
#   stage 2: seqrec evaluate EXP/checkpoints/best.ckpt DATA/test.jsonl --report EXP/report
#   stage 3 (digits/upper/lower, when DATA/lexicon.txt exists): the same, decoding into the
#            task's labels: --decoder beam --lexicon DATA/lexicon.txt --report EXP/report_lexicon
#   stage 3 (words/lines): character 6-gram LM of DATA/train.jsonl (DATA/train_task.jsonl
#            when pooled; case and punctuation kept; for words also the 100k most frequent
#            English words, seqrec lm words), LM weight tuned on valid (seqrec tune-lm), test
#            decoded with beam search and the LM --report EXP/report_lm
#   stage 4 (with --extra-train): fine-tune the pooled model on the task's own train rows
#            (DATA/train_task.jsonl; its own, smaller character set) into EXP/finetune, then
#            evaluate it as in stages 2-3 (EXP/finetune/report, EXP/finetune/report_lexicon)
#   stage 5 (words): train a second model, Bezier curves (conf/unipen_words_bezier.yaml),
#            into EXP_bezier (options after "--" apply here too)
#   stage 6 (words): the ensemble of both (seqrec evaluate --ensemble) with the stage 3 LM,
#            LM weight tuned on valid --report EXP/report_ensemble
set -euo pipefail
cd "$(dirname "$0")/../.."

usage="usage: bash recipes/unipen/run.sh SRC_DIR [--task digits|upper|lower|words|lines] [--extra-train LIST] [--init-from CKPT] [--stage N] [--stop-stage M] [--data DIR] [--exp DIR] [-- SEQREC_TRAIN_OPTIONS...]"
if [[ $# -lt 1 || $1 == --* ]]; then
  echo "$usage" >&2
  exit 2
fi
src=$1; shift
task=digits
extra_train=default
init_from=
stage=0
stop_stage=6
data=
exp=
train_options=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --) shift; train_options=("$@"); break ;;
    --task) task=$2; shift 2 ;;
    --extra-train) extra_train=$2; shift 2 ;;
    --init-from) init_from=$2; shift 2 ;;
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
if [[ $extra_train == default ]]; then
  if [[ $task == digits ]]; then extra_train=upper,lower; else extra_train=; fi
fi
[[ $extra_train == none ]] && extra_train=
name=unipen_$task${extra_train:+_pooled}
data=${data:-data/$name}
exp=${exp:-exp/$name}

# tune_then_evaluate TUNE_FILE REPORT_DIR LM_WEIGHTS [SEQREC_OPTIONS...]: the weight of the
# stage 3 LM tuned on valid (the grid into TUNE_FILE), then the test split decoded with beam
# search at the best weight into REPORT_DIR; SEQREC_OPTIONS (e.g. --ensemble M) go to both
tune_then_evaluate() {
  local tune=$1 report=$2 weights=$3 best
  shift 3
  seqrec tune-lm "$exp/checkpoints/best.ckpt" "$data/valid.jsonl" --lm "$exp/lm/char6.arpa" \
    "$@" --lm-weights "$weights" | tee "$tune"
  best=$(sed -n 's/^best: //p' "$tune")
  # shellcheck disable=SC2086  # $best holds "--lm-weight X --word-score Y"
  seqrec evaluate "$exp/checkpoints/best.ckpt" "$data/test.jsonl" "$@" --report "$report" \
    --decoder beam --lm "$exp/lm/char6.arpa" $best
}

if [[ $stage -le 0 && $stop_stage -ge 0 ]]; then
  echo "== stage 0: prepare $src ($task${extra_train:+, extra train $extra_train}) into $data"
  python recipes/unipen/prepare.py "$src" "$data" --task "$task" \
    ${extra_train:+--extra-train "$extra_train"}
fi

if [[ $stage -le 1 && $stop_stage -ge 1 ]]; then
  echo "== stage 1: train into $exp${init_from:+, starting from $init_from}"
  seqrec train --config "conf/unipen_$task.yaml" \
    --data.train_manifest "$data/train.jsonl" \
    --data.valid_manifest "$data/valid.jsonl" \
    --data.test_manifest "$data/test.jsonl" \
    --trainer.default_root_dir "$exp" \
    ${init_from:+--model.init_from "$init_from"} "${train_options[@]}"
fi

if [[ $stage -le 2 && $stop_stage -ge 2 ]]; then
  echo "== stage 2: evaluate on the test split"
  seqrec evaluate "$exp/checkpoints/best.ckpt" "$data/test.jsonl" --report "$exp/report"
fi

if [[ $stage -le 3 && $stop_stage -ge 3 ]]; then
  case "$task" in
    digits|upper|lower)
      if [[ -f $data/lexicon.txt ]]; then
        echo "== stage 3: evaluate on the test split, decoding into $data/lexicon.txt"
        seqrec evaluate "$exp/checkpoints/best.ckpt" "$data/test.jsonl" \
          --decoder beam --lexicon "$data/lexicon.txt" --report "$exp/report_lexicon"
      else
        echo "== stage 3: skipped ($data/lexicon.txt missing: rerun stage 0)"
      fi
      ;;
    *)
      echo "== stage 3: character 6-gram LM of the training text, LM weight tuned on valid,"
      echo "   test decoded with beam search and the LM"
      # the LM reads the task's own training text: pooled isolated characters are no words
      lm_text=$data/train.jsonl
      [[ -f $data/train_task.jsonl ]] && lm_text=$data/train_task.jsonl
      lm_texts=("$lm_text")
      lm_weights=()
      if [[ $task == words ]]; then
        # isolated words of English text: add the 100k most frequent English words (wordfreq),
        # counted as in a text of 1M words, cased like the training words; the training text
        # counts 5 times (13k words against 1M)
        seqrec lm words -o "$exp/lm/english.tsv" --language en --top 100000 \
          --tokens 1000000 --like "$lm_text"
        lm_texts+=("$exp/lm/english.tsv")
        lm_weights=(--weights 5,1)
      fi
      seqrec lm build "${lm_texts[@]}" "${lm_weights[@]}" --unit char --order 6 --keep-case \
        --keep-punctuation -o "$exp/lm/char6.arpa"
      tune_then_evaluate "$exp/lm/tune.txt" "$exp/report_lm" 0,0.5,1,1.5,2,2.5,3
      ;;
  esac
fi

if [[ $stage -le 4 && $stop_stage -ge 4 && -f $data/train_task.jsonl ]]; then
  echo "== stage 4: fine-tune on $data/train_task.jsonl (the $task ink alone) into $exp/finetune"
  seqrec train --config "conf/unipen_$task.yaml" \
    --data.train_manifest "$data/train_task.jsonl" \
    --data.valid_manifest "$data/valid.jsonl" \
    --data.test_manifest "$data/test.jsonl" \
    --model.init_from "$exp/checkpoints/best.ckpt" \
    --model.learning_rate 1e-3 --trainer.max_epochs 10 \
    --trainer.default_root_dir "$exp/finetune"
  seqrec evaluate "$exp/finetune/checkpoints/best.ckpt" "$data/test.jsonl" \
    --report "$exp/finetune/report"
  if [[ -f $data/lexicon.txt ]]; then
    seqrec evaluate "$exp/finetune/checkpoints/best.ckpt" "$data/test.jsonl" \
      --decoder beam --lexicon "$data/lexicon.txt" --report "$exp/finetune/report_lexicon"
  fi
fi

if [[ $task == words && $stage -le 5 && $stop_stage -ge 5 ]]; then
  echo "== stage 5: train the second model of the ensemble (Bezier curves) into ${exp}_bezier"
  seqrec train --config conf/unipen_words_bezier.yaml \
    --data.train_manifest "$data/train.jsonl" \
    --data.valid_manifest "$data/valid.jsonl" \
    --data.test_manifest "$data/test.jsonl" \
    --trainer.default_root_dir "${exp}_bezier" "${train_options[@]}"
fi

if [[ $task == words && $stage -le 6 && $stop_stage -ge 6 ]]; then
  echo "== stage 6: ensemble of both models with the stage 3 LM, LM weight tuned on valid"
  tune_then_evaluate "$exp/lm/tune_ensemble.txt" "$exp/report_ensemble" 1,1.5,2,2.5,3 \
    --ensemble "${exp}_bezier/checkpoints/best.ckpt"
fi
