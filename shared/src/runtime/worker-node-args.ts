/**
 * Node's arguments for a one-shot worker, before its program (the process launcher's default
 * command and the ECS task definition's). `--no-lazy` makes V8 compile every function of a file
 * when it compiles the file, instead of pre-parsing each and compiling it on its first call; for
 * the worker's bundle, where most of the start-up is module set-up code run once (the AWS SDK's
 * above all), that was the cheaper way, with or without a warm compile cache. Measured on the
 * loaded 2-core machine (bench/worker-import-time.ts' probe on the bundle): echo embedded 38–51 →
 * 21–27 ms CPU, echo on AWS 119–155 → 59–65 ms. The price: ~24 MB more memory per worker (the
 * bundle's bytecode, run or not) and a compile cache of 7 MB instead of 0.9 MB.
 */
export const WORKER_NODE_ARGS: readonly string[] = ['--disable-warning=ExperimentalWarning', '--no-lazy'];
