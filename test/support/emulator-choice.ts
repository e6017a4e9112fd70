/**
 * Which AWS emulator the AWS suites run against. moto (a local Python server) is the default and
 * needs nothing but python3; LocalStack runs in a container, so it is used only when asked for with
 * AGENT_RUNNER_TEST_EMULATOR=localstack *and* a Docker daemon answers. A LocalStack request that
 * cannot be honoured says why in one line and runs on moto: never a silent pass.
 */
export type EmulatorName = 'moto' | 'localstack';

/** What the probe of the container runtime found. */
export type DockerProbe = { reachable: true } | { reachable: false; why: string };

export interface EmulatorChoice {
  emulator: EmulatorName;
  /** One line for the test output when the choice differs from what was asked for. */
  note?: string;
}

/** Reads AGENT_RUNNER_TEST_EMULATOR; a value that is neither name stops the run, naming the variable. */
export function requestedEmulator(value: string | undefined): EmulatorName {
  const v = (value ?? '').trim().toLowerCase();
  if (v === '' || v === 'moto') return 'moto';
  if (v === 'localstack') return 'localstack';
  throw new Error(`AGENT_RUNNER_TEST_EMULATOR must be "moto" or "localstack", not ${JSON.stringify(value)}`);
}

/** The choice. `probe` is asked only when LocalStack is requested (probing Docker takes time). */
export async function chooseEmulator(requested: EmulatorName, probe: () => Promise<DockerProbe>): Promise<EmulatorChoice> {
  if (requested === 'moto') return { emulator: 'moto' };
  const docker = await probe();
  if (docker.reachable) return { emulator: 'localstack' };
  return { emulator: 'moto', note: `AGENT_RUNNER_TEST_EMULATOR=localstack not used: ${docker.why}; the AWS suites run on moto` };
}
