// The environment this benchmark was started with, captured before the library loads: loading it sets defaults
// (OMP_WAIT_POLICY, OPENBLAS_THREAD_TIMEOUT) that a child running another commit must not inherit, so each child
// runs with its own library's defaults unless the caller set a value. Import it before anything from src/.
export const CALLER_ENV: Readonly<NodeJS.ProcessEnv> = { ...process.env };
