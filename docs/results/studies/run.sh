#!/bin/bash
# The research-question studies (issue 14), in the plan's order (PLAN.md). Every part goes to one store
# (docs/results/studies/.study), so a point two studies share is computed once, and an interrupted run continues
# where it stopped: run this again. Stop when the measured CPU time reaches the ceiling (PLAN.md).
set -euo pipefail
cd "$(dirname "$0")/../../.."
PH=".venv/bin/pyterrier-hybrid"
if [ -z "${PYTERRIER_HYBRID_LAREQA:-}" ] && [ -d ../shared/data/lareqa ]; then  # the offline copy, else downloads
    export PYTERRIER_HYBRID_LAREQA=$PWD/../shared/data/lareqa
fi
STORE=docs/results/studies
RECIPE=(--batch-size 16 --max-seq-length 64 --hard-negatives none --eval-items 300
        --encode-precision fp32 --train-precision fp32 --seeds 0 1 2 --store "$STORE")
MLQA=(--train-on mlqa-r --steps 100 "${RECIPE[@]}")
ALL=ar,de,en,es,hi,vi,zh

# 2 (with 3 and 4): nested training languages, MLQA-R -> every XQuAD-R language
$PH sweep "${MLQA[@]}" --param languages --values en en,de en,de,es,zh $ALL --strategies xx xy hybrid \
    --out $STORE/training-languages
# 5: does the batch type matter? random and st-plain beside the all-language X-X, X-Y and hybrid (reused)
$PH reproduce "${MLQA[@]}" --train-languages ${ALL//,/ } --strategies xx xy hybrid random st-plain \
    --out $STORE/batch-type
# 1: in-language data, XQuAD-R en/de/zh -> MLQA-R en/de/zh, one epoch (at least 40 steps); sizes by priority
XQUAD=(--train-on xquad-r --train-languages en de zh --eval-languages en de zh --epochs 1 --min-steps 40 "${RECIPE[@]}")
for values in "64" "64 256" "64 256 1190" "64 128 256 1190" "64 128 256 512 1190"; do
    $PH sweep "${XQUAD[@]}" --param items --values $values --strategies xx xy hybrid --out $STORE/in-language-data
done
