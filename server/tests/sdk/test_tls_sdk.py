"""The official Alibaba Cloud KMS Python SDK over HTTPS: `byok-kms serve --tls-cert --tls-key` with a
certificate of a throwaway CA made with openssl, the SDK given that CA (`Config.ca`). The whole
suite of test_official_sdk runs again this way; then a client that does not trust the CA, and one
that speaks plain HTTP to the TLS port, are refused.
"""
import subprocess
import sys
import textwrap
import unittest

from alibabacloud_kms20160120 import models as kms
from alibabacloud_kms20160120.client import Client
from alibabacloud_tea_openapi import utils_models as open_api_models

import kms_server
import test_official_sdk as single  # (a module, so that its test case is not collected twice)


class OverHttps(single.OfficialSdk):
    @classmethod
    def setUpClass(cls):
        cls.kms = kms_server.KmsServer("byok-sdk-tls-", tls=True)
        cls.work, cls.data_dir, cls.port = cls.kms.work, cls.kms.data_dir, cls.kms.port
        cls.access_key_id, cls.secret = cls.kms.access_key_id, cls.kms.secret
        cls.materials = []

    def config(self, secret=None, protocol="https", ca=None):
        return open_api_models.Config(
            access_key_id=self.access_key_id, access_key_secret=secret or self.secret,
            endpoint=f"127.0.0.1:{self.port}", protocol=protocol, region_id="cn-hangzhou",
            ca=ca)

    def client(self, secret=None, signature_algorithm=None):
        config = self.config(secret, ca=self.kms.ca)
        if signature_algorithm:
            config.signature_algorithm = signature_algorithm
        return Client(config)

    def test_5_a_client_that_does_not_trust_the_ca_is_refused(self):
        # In a process of its own: the SDK pools connections per host in the process, whatever
        # the CA of the client that opened them, so in this one it would reuse a verified one.
        script = textwrap.dedent(f"""
            from alibabacloud_kms20160120 import models as kms
            from alibabacloud_kms20160120.client import Client
            from alibabacloud_tea_openapi import utils_models as open_api_models
            client = Client(open_api_models.Config(  # the system's CAs only
                access_key_id={self.access_key_id!r}, access_key_secret={self.secret!r},
                endpoint="127.0.0.1:{self.port}", protocol="https", region_id="cn-hangzhou"))
            client.list_keys(kms.ListKeysRequest())
        """)
        run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                             timeout=60)
        self.assertNotEqual(run.returncode, 0, run.stdout)
        self.assertIn("CERTIFICATE_VERIFY_FAILED", run.stderr)

    def test_6_plain_http_to_the_tls_port_is_refused(self):
        client = Client(self.config(protocol="http"))
        with self.assertRaises(Exception) as raised:
            client.list_keys(kms.ListKeysRequest())
        self.assertIn("use https://", str(raised.exception))


if __name__ == "__main__":
    unittest.main()
