// byok-wrap/testing (Node only): a throwaway byok-kms for a test suite.

/** A running throwaway byok-kms. */
export interface StartedKms {
  /** Where it serves, e.g. `http://127.0.0.1:40123`: the `endpoint` of a `KmsClient`. */
  readonly endpoint: string;
  /**
   * The default account's access key id (generated for this server), or with `seed` the seed's
   * first account's (`undefined` if it has no Alibaba access key).
   */
  readonly accessKeyId: string;
  /** Its secret (generated for this server; given to it in its environment, never as a flag). */
  readonly accessKeySecret: string;
  /** The AWS access key id of the same account (for the AWS KMS API on the same endpoint). */
  readonly awsAccessKeyId: string;
  /** Its secret. */
  readonly awsSecretAccessKey: string;
  /** Stops the server (SIGTERM, SIGKILL after 5 s); it removes its state. Safe to call twice. */
  stop(): Promise<void>;
}

/** A key of a seed: `byok-kms serve --seed`'s format (see the README, "In your own tests"). */
export interface SeedKey {
  /** A UUID in lowercase. */
  keyId: string;
  /** Either cloud's name: `Aliyun_AES_256`, `SYMMETRIC_DEFAULT`, `RSA_2048`, `ECC_NIST_P256`, `HMAC_256`, … */
  keySpec: string;
  /** Either cloud's name; by default what the spec is for. */
  keyUsage?: string;
  /** `EXTERNAL` (the default), `Aliyun_KMS` or `AWS_KMS`. */
  origin?: string;
  /** Whose rules the key is made under; by default AWS's for a name only AWS has, else Alibaba's. */
  cloud?: 'alibaba' | 'aws';
  description?: string;
  /** `alias/…` names. */
  aliases?: string[];
  tags?: Record<string, string>;
  /** Base64 of the material, bound as the key's first (the key is Enabled); without it PendingImport. */
  material?: string;
  /** PEM private key of an asymmetric key. */
  privateKey?: string;
  /** When the material expires (Unix seconds); 0 or absent: never. */
  materialExpireUnix?: number;
}

/** A seed: the known world a server starts with. */
export interface Seed {
  accounts: Array<{
    accessKeyId?: string;
    accessKeySecret?: string;
    awsAccessKeyId?: string;
    awsSecretAccessKey?: string;
    keys?: SeedKey[];
  }>;
}

export interface StartKmsOptions {
  /** The byok-kms binary. Default: `$BYOK_KMS_BIN`, else `byok-kms` on PATH. */
  binary?: string;
  /**
   * A known world to start with (`byok-kms serve --seed`): a seed object (written to a private
   * temporary file, removed once the server has started) or the path of a seed file. The
   * credentials returned are then its first account's. A seed the server refuses rejects the
   * promise with the server's message, which names the entry at fault.
   */
  seed?: Seed | string;
  /** More `byok-kms serve` flags, e.g. `['--wrapping-key-pool', '0']`. */
  args?: string[];
  /** More environment variables for the server (the access key variables are set by startKms). */
  env?: Record<string, string>;
}

/**
 * Starts `byok-kms serve --ephemeral --listen 127.0.0.1:0 --ready-json` with a fresh access key
 * (or with `--seed` and the seed's accounts) and resolves once it serves. The server is stopped by `stop()`, and at the latest when this
 * process exits.
 */
export function startKms(options?: StartKmsOptions): Promise<StartedKms>;
