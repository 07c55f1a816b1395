# The jobs of benchmarks/agreement/ whose network-mode runs come from `semrob regions mesh`
# (gpu/, cpu/), by shape: sourced by compare.sh and refine.sh.
L=efficientnet-lite0
declare -A JOB=(
    [bottle]=$L/bottle/1cf98e5b6fff5471c8724d5673a063a6
    [chair]=$L/chair/341a2d3df9800314fa260f4362cac599
    [cup]=$L/cup/1ea9ea99ac8ed233bf355ac8109b9988
    [vase]=$L/vase/12ec19e85b31e274725f67267e31c89
    [toilet]=$L/toilet/2d204f50f33b3994fe52ffd0e748a1ab
)
