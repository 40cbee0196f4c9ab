# Plots lossforge_bench's CSV (float rows): fused kernel time against size per loss, with the hand-fused
# vector-math loop dashed, and the ratio lossforge / vector loop.
#   gnuplot -e "data='lossforge_bench.csv'; out='lossforge_bench.png'" scripts/plot_bench.gp
if (!exists("data")) data = 'lossforge_bench.csv'
if (!exists("out")) out = 'lossforge_bench.png'
set datafile separator ','
set terminal pngcairo size 1400,560 enhanced
set output out
losses = "mse bce bce_with_logits sigmoid_focal dice combo cross_entropy_c1000"
set multiplot layout 1,2 title "lossforge: value + gradient, float"
set logscale xy 2
set xlabel 'elements'
set xrange [2**15.7:2**26.3]
set xtics ('2^{16}' 65536, '2^{18}' 262144, '2^{20}' 1048576, '2^{22}' 4194304, '2^{24}' 16777216, '2^{26}' 67108864)
set ylabel 'ms (fused solid, vector loop dashed)'
set key left top
plot for [k=1:words(losses)] data using ((strcol(1) eq word(losses,k) && strcol(2) eq 'float') ? $3 : NaN):($4*1e3) \
       with linespoints lt k dt 1 title word(losses,k) noenhanced, \
     for [k=1:words(losses)] data using ((strcol(1) eq word(losses,k) && strcol(2) eq 'float') ? $3 : NaN):($6*1e3) \
       with lines lt k dt 2 notitle
unset logscale y
set logscale x 2
set ylabel 'lossforge / hand-fused vector loop'
set yrange [0:*]
plot for [k=1:words(losses)] data using ((strcol(1) eq word(losses,k) && strcol(2) eq 'float') ? $3 : NaN):10 \
       with linespoints lt k title word(losses,k) noenhanced, 1.15 with lines lc 'black' dt 3 title 'goal 1.15'
unset multiplot
