"""The AWS CLI (awscli v1, pinned in requirements.txt; it carries its own botocore) against a real
`byok-kms serve`, unchanged: every step of AWS's import guide is the shell command the guide
shows (`aws kms ... --query ... --output text | base64 -d`, the guide's openssl recipes for the
four wrapping algorithms, `fileb://` for the binary parameters), run by bash with the venv's
`aws` first on PATH and no configuration from $HOME. The material is wrapped by openssl and, in
one flow, by the byok-wrap CLI (`cargo build -p byok-wrap-cli`, `$BYOK_WRAP_BIN`).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from datetime import datetime, timedelta, timezone

from kms_server import KmsServer

# What awscli v1 exits with when the service refuses a call (v2 exits with 254).
CLIENT_ERROR_EXIT = 255

BYOK_WRAP = os.environ.get("BYOK_WRAP_BIN", "target/debug/byok-wrap")
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")

# The guide's openssl commands ("Encrypt key material with OpenSSL"): KeyMaterial.bin under
# WrappingPublicKey.bin (DER) into EncryptedKeyMaterial.bin. $MD is sha256 or sha1.
RSAES_OAEP = """
openssl pkeyutl -encrypt -in KeyMaterial.bin -out EncryptedKeyMaterial.bin \\
    -inkey WrappingPublicKey.bin -keyform DER -pubin \\
    -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:$MD -pkeyopt rsa_mgf1_md:$MD
"""
RSA_AES_KEY_WRAP = """
openssl rand -out aes-key.bin 32
openssl enc -id-aes256-wrap-pad -K "$(xxd -p -c 64 aes-key.bin)" -iv A65959A6 \\
    -in KeyMaterial.bin -out key-material-wrapped.bin
openssl pkeyutl -encrypt -in aes-key.bin -out aes-key-wrapped.bin \\
    -inkey WrappingPublicKey.bin -keyform DER -pubin \\
    -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:$MD -pkeyopt rsa_mgf1_md:$MD
cat aes-key-wrapped.bin key-material-wrapped.bin > EncryptedKeyMaterial.bin
"""
OPENSSL = {
    "RSAES_OAEP_SHA_256": "MD=sha256\n" + RSAES_OAEP,
    "RSAES_OAEP_SHA_1": "MD=sha1\n" + RSAES_OAEP,
    "RSA_AES_KEY_WRAP_SHA_256": "MD=sha256\n" + RSA_AES_KEY_WRAP,
    "RSA_AES_KEY_WRAP_SHA_1": "MD=sha1\n" + RSA_AES_KEY_WRAP,
}
# byok-wrap writes the base64 that the Alibaba guide's `openssl enc -e -base64 -A` writes; the AWS
# CLI's fileb:// wants the bytes.
BYOK_WRAP_RECIPE = """
"$BYOK_WRAP" wrap --public-key WrappingPublicKey.bin --material KeyMaterial.bin \\
    --algorithm "$ALGORITHM" --key-spec SYMMETRIC_DEFAULT --out EncryptedKeyMaterial.b64
base64 -d EncryptedKeyMaterial.b64 > EncryptedKeyMaterial.bin
"""

# Each flow: who wraps, then (algorithm, wrapping key spec) of the first import (expiring) and of
# the re-import (never expiring); together they cover the four algorithms with both wrappers and
# the three wrapping key specs.
FLOWS = [
    ("openssl", ("RSAES_OAEP_SHA_256", "RSA_2048"), ("RSA_AES_KEY_WRAP_SHA_1", "RSA_3072")),
    ("openssl", ("RSA_AES_KEY_WRAP_SHA_256", "RSA_4096"), ("RSAES_OAEP_SHA_1", "RSA_2048")),
    ("byok-wrap", ("RSA_AES_KEY_WRAP_SHA_256", "RSA_2048"), ("RSAES_OAEP_SHA_256", "RSA_4096")),
]


class AwsCli(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = KmsServer(prefix="byok-awscli-")
        cls.home = tempfile.mkdtemp(prefix="byok-awscli-home-")
        # The setup the README shows: the key pair and region in the environment, nothing read
        # from ~/.aws.
        cls.env = {
            "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"],
            "HOME": cls.home,
            "AWS_ACCESS_KEY_ID": cls.server.aws_access_key_id,
            "AWS_SECRET_ACCESS_KEY": cls.server.aws_secret_access_key,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "AWS_MAX_ATTEMPTS": "1",
            "AWS_EC2_METADATA_DISABLED": "true",
            "ENDPOINT": f"http://{cls.server.endpoint}",
            "BYOK_WRAP": os.path.abspath(BYOK_WRAP),
        }

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        shutil.rmtree(cls.home, ignore_errors=True)

    def sh(self, script, cwd, check=True, **variables):
        """Runs `script` with bash -euo pipefail in `cwd`, with the variables added to the
        environment (None: removed); returns the completed process."""
        env = {k: v for k, v in {**self.env, **variables}.items() if v is not None}
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=cwd,
                              env=env, capture_output=True, text=True)
        if check and done.returncode != 0:
            self.fail(f"exit {done.returncode}:\n{script}\nstdout: {done.stdout}\n"
                      f"stderr: {done.stderr}")
        return done

    def kms(self, cwd, *args):
        """`aws kms <args> --output json`, parsed (the arguments as given, no shell)."""
        done = subprocess.run(["aws", "kms", *args, "--endpoint-url", self.env["ENDPOINT"],
                               "--output", "json"], cwd=cwd, env=self.env,
                              capture_output=True, text=True)
        if done.returncode != 0:
            self.fail(f"aws kms {' '.join(args)}: exit {done.returncode}\n{done.stderr}")
        return json.loads(done.stdout) if done.stdout.strip() else {}

    def parameters_and_wrap(self, cwd, key_id, algorithm, wrapping_key_spec, wrapper):
        """The guide's steps 2 and 3: ImportToken.bin and WrappingPublicKey.bin from one
        GetParametersForImport reply, then EncryptedKeyMaterial.bin from KeyMaterial.bin."""
        self.sh("""
aws kms get-parameters-for-import --endpoint-url "$ENDPOINT" --key-id "$KEY_ID" \\
    --wrapping-algorithm "$ALGORITHM" --wrapping-key-spec "$WRAPPING_KEY_SPEC" \\
    --query '[ImportToken, PublicKey]' --output text > parameters.txt
cut -f1 parameters.txt | base64 -d > ImportToken.bin
cut -f2 parameters.txt | base64 -d > WrappingPublicKey.bin
""", cwd, KEY_ID=key_id, ALGORITHM=algorithm, WRAPPING_KEY_SPEC=wrapping_key_spec)
        bits = self.sh("openssl pkey -pubin -inform DER -in WrappingPublicKey.bin -noout -text"
                       " | head -1", cwd).stdout
        self.assertIn(wrapping_key_spec.removeprefix("RSA_") + " bit", bits)
        recipe = OPENSSL[algorithm] if wrapper == "openssl" else BYOK_WRAP_RECIPE
        self.sh(recipe, cwd, ALGORITHM=algorithm)

    def import_material(self, cwd, key_id, *expiration, check=True):
        """The guide's step 4, with fileb:// for both blobs."""
        return self.sh("""
aws kms import-key-material --endpoint-url "$ENDPOINT" --output json --key-id "$KEY_ID" \\
    --encrypted-key-material fileb://EncryptedKeyMaterial.bin \\
    --import-token fileb://ImportToken.bin $EXPIRATION
""", cwd, check=check, KEY_ID=key_id, EXPIRATION=" ".join(expiration))

    def test_the_import_flow(self):
        for wrapper, first, second in FLOWS:
            with self.subTest(wrapper=wrapper, first=first, second=second):
                cwd = tempfile.mkdtemp(dir=self.server.work)
                self.import_flow(cwd, wrapper, first, second)

    def import_flow(self, cwd, wrapper, first, second):
        created = self.kms(cwd, "create-key", "--origin", "EXTERNAL",
                           "--description", f"aws-cli {wrapper}")["KeyMetadata"]
        key_id = created["KeyId"]
        self.assertEqual((created["KeyState"], created["Origin"], created["Enabled"]),
                         ("PendingImport", "EXTERNAL", False))
        self.sh("openssl rand -out KeyMaterial.bin 32", cwd)

        # KEY_MATERIAL_EXPIRES with --valid-to, as the guide writes it.
        valid_to = (datetime.now(timezone.utc) + timedelta(days=30)).replace(microsecond=0)
        self.parameters_and_wrap(cwd, key_id, *first, wrapper)
        imported = json.loads(self.import_material(
            cwd, key_id, "--expiration-model", "KEY_MATERIAL_EXPIRES",
            "--valid-to", valid_to.strftime("%Y-%m-%dT%H:%M:%SZ")).stdout)
        material_id = imported["KeyMaterialId"]
        self.assertEqual(len(material_id), 64)
        described = self.kms(cwd, "describe-key", "--key-id", key_id)["KeyMetadata"]
        self.assertEqual((described["KeyState"], described["Enabled"], described["ExpirationModel"]),
                         ("Enabled", True, "KEY_MATERIAL_EXPIRES"))
        # awscli v1 prints timestamps as the wire has them: epoch seconds.
        self.assertEqual(int(described["ValidTo"]), int(valid_to.timestamp()))

        # Encrypt and decrypt, blobs through files as the CLI's documentation does.
        self.sh("""
printf 'hello from the AWS CLI' > plaintext.txt
aws kms encrypt --endpoint-url "$ENDPOINT" --key-id "$KEY_ID" --plaintext fileb://plaintext.txt \\
    --encryption-context purpose=test --query CiphertextBlob --output text | base64 -d > blob.bin
aws kms decrypt --endpoint-url "$ENDPOINT" --ciphertext-blob fileb://blob.bin \\
    --encryption-context purpose=test --query Plaintext --output text | base64 -d > decrypted.txt
cmp plaintext.txt decrypted.txt
""", cwd, KEY_ID=key_id)

        # Delete the material: PendingImport, and the blob cannot be decrypted.
        deleted = self.kms(cwd, "delete-imported-key-material", "--key-id", key_id)
        self.assertEqual(deleted["KeyMaterialId"], material_id)
        self.assertEqual(self.kms(cwd, "describe-key", "--key-id", key_id)
                         ["KeyMetadata"]["KeyState"], "PendingImport")

        # Other material is refused, in the CLI's words, and changes nothing.
        self.sh("mv KeyMaterial.bin KeyMaterial.kept && openssl rand -out KeyMaterial.bin 32",
                cwd)
        self.parameters_and_wrap(cwd, key_id, *second, wrapper)
        refused = self.import_material(cwd, key_id, "--expiration-model",
                                       "KEY_MATERIAL_DOES_NOT_EXPIRE", check=False)
        self.assertEqual(refused.returncode, CLIENT_ERROR_EXIT, refused.stderr)
        self.assertIn("An error occurred (IncorrectKeyMaterialException) when calling the "
                      "ImportKeyMaterial operation", refused.stderr)
        self.assertEqual(self.kms(cwd, "describe-key", "--key-id", key_id)
                         ["KeyMetadata"]["KeyState"], "PendingImport")

        # The same material again, now never expiring, with the second algorithm and key size.
        self.sh("mv KeyMaterial.kept KeyMaterial.bin", cwd)
        self.parameters_and_wrap(cwd, key_id, *second, wrapper)
        again = json.loads(self.import_material(
            cwd, key_id, "--expiration-model", "KEY_MATERIAL_DOES_NOT_EXPIRE").stdout)
        self.assertEqual(again["KeyMaterialId"], material_id)
        described = self.kms(cwd, "describe-key", "--key-id", key_id)["KeyMetadata"]
        self.assertEqual((described["KeyState"], described["ExpirationModel"]),
                         ("Enabled", "KEY_MATERIAL_DOES_NOT_EXPIRE"))
        self.assertNotIn("ValidTo", described)
        self.sh("""
aws kms decrypt --endpoint-url "$ENDPOINT" --key-id "$KEY_ID" --ciphertext-blob fileb://blob.bin \\
    --encryption-context purpose=test --query Plaintext --output text | base64 -d > again.txt
cmp plaintext.txt again.txt
""", cwd, KEY_ID=key_id)

    def test_the_readme_lines_run_as_written(self):
        with open(os.path.join(ROOT, "README.md")) as f:
            readme = f.read()
        lines = readme.split("With the AWS CLI", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
        cwd = tempfile.mkdtemp(dir=self.server.work)
        self.sh("openssl rand -out KeyMaterial.bin 32", cwd)
        script = lines.replace("ENDPOINT=http://127.0.0.1:8080", f"ENDPOINT={self.env['ENDPOINT']}")
        self.assertNotEqual(script, lines, "the README names its endpoint")
        self.sh(script + '\necho "$KEY_ID" > key-id.txt', cwd,
                PATH=os.path.dirname(self.env["BYOK_WRAP"]) + os.pathsep + self.env["PATH"],
                BYOK_KMS_AWS_ACCESS_KEY_ID=self.server.aws_access_key_id,
                BYOK_KMS_AWS_SECRET_ACCESS_KEY=self.server.aws_secret_access_key,
                # What the README's lines set themselves.
                AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None, AWS_DEFAULT_REGION=None,
                ENDPOINT=None)
        with open(os.path.join(cwd, "key-id.txt")) as f:
            key_id = f.read().strip()
        described = self.kms(cwd, "describe-key", "--key-id", key_id)["KeyMetadata"]
        self.assertEqual((described["KeyState"], described["ExpirationModel"]),
                         ("Enabled", "KEY_MATERIAL_EXPIRES"))

    def test_refusals_in_the_cli_words(self):
        cwd = tempfile.mkdtemp(dir=self.server.work)
        cases = [
            (["describe-key", "--key-id", "00000000-0000-0000-0000-000000000000"],
             "NotFoundException", "DescribeKey"),
            (["get-parameters-for-import", "--key-id",
              self.kms(cwd, "create-key")["KeyMetadata"]["KeyId"],
              "--wrapping-algorithm", "RSAES_OAEP_SHA_256", "--wrapping-key-spec", "RSA_2048"],
             "UnsupportedOperationException", "GetParametersForImport"),
        ]
        for args, error, operation in cases:
            with self.subTest(error=error):
                done = subprocess.run(["aws", "kms", *args, "--endpoint-url",
                                       self.env["ENDPOINT"]], cwd=cwd, env=self.env,
                                      capture_output=True, text=True)
                self.assertEqual(done.returncode, CLIENT_ERROR_EXIT, done.stderr)
                self.assertIn(f"An error occurred ({error}) when calling the {operation} "
                              "operation", done.stderr)


if __name__ == "__main__":
    unittest.main()
