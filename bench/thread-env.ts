// Imported first by interleaved benchmarks, before libtorch (and so libgomp) loads. Each side sits
// idle while the other is timed; OpenMP's default wait policy keeps idle worker threads spinning,
// which on a small machine takes the cores from the side being timed (measured here: steps ~7x
// slower on 2 cores). PASSIVE lets idle threads sleep. The Python peer inherits the environment,
// so both sides run with the same policy. An explicit OMP_WAIT_POLICY is left alone.
process.env.OMP_WAIT_POLICY ??= 'PASSIVE';
