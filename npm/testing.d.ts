// byok-wrap/testing (Node only): a throwaway byok-kms for a test suite.

/** A running throwaway byok-kms. */
export interface StartedKms {
  /** Where it serves, e.g. `http://127.0.0.1:40123`: the `endpoint` of a `KmsClient`. */
  readonly endpoint: string;
  /** The default account's access key id (generated for this server). */
  readonly accessKeyId: string;
  /** Its secret (generated for this server; given to it in its environment, never as a flag). */
  readonly accessKeySecret: string;
  /** The default account's AWS access key id (for the AWS KMS API on the same endpoint). */
  readonly awsAccessKeyId: string;
  /** Its secret. */
  readonly awsSecretAccessKey: string;
  /** Stops the server (SIGTERM, SIGKILL after 5 s); it removes its state. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartKmsOptions {
  /** The byok-kms binary. Default: `$BYOK_KMS_BIN`, else `byok-kms` on PATH. */
  binary?: string;
  /** More `byok-kms serve` flags, e.g. `['--wrapping-key-pool', '0']`. */
  args?: string[];
  /** More environment variables for the server (the access key variables are set by startKms). */
  env?: Record<string, string>;
}

/**
 * Starts `byok-kms serve --ephemeral --listen 127.0.0.1:0 --ready-json` with a fresh access key
 * and resolves once it serves. The server is stopped by `stop()`, and at the latest when this
 * process exits.
 */
export function startKms(options?: StartKmsOptions): Promise<StartedKms>;
