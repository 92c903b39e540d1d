// libtorch keeps process-wide state (random seed, thread count): tests that train or export run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
