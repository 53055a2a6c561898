"""What the SDK tests share: a real `byok-kms serve` on a free loopback port, the openssl commands
of the cloud's import guide, and a recording proxy that shows what a client sends on the wire.
Not a test module (unittest's discovery only collects test*.py).
"""
import base64
import http.client
import http.server
import os
import secrets
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.request

BIN = os.environ.get("BYOK_KMS_BIN", "target/debug/byok-kms")

OPENSSL_PADDING = {
    "RSAES_OAEP_SHA_256": ["-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256",
                           "-pkeyopt", "rsa_mgf1_md:sha256"],
    "RSAES_OAEP_SHA_1": ["-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha1",
                         "-pkeyopt", "rsa_mgf1_md:sha1"],
    "RSAES_PKCS1_V1_5": ["-pkeyopt", "rsa_padding_mode:pkcs1"],
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_serving(port, server, log, ca=None):
    """Polls /healthz until byok-kms answers (over HTTPS, trusting the CA file `ca`, if given);
    fails if it exits or takes over 30 s."""
    deadline = time.time() + 30
    scheme, context = ("https", ssl.create_default_context(cafile=ca)) if ca else ("http", None)
    while True:
        try:
            urllib.request.urlopen(f"{scheme}://127.0.0.1:{port}/healthz", timeout=1,
                                   context=context).read()
            return
        except OSError:
            if time.time() > deadline or server.poll() is not None:
                raise RuntimeError("byok-kms did not start; see " + log.name)
            time.sleep(0.05)


def make_pki(cwd):
    """A throwaway CA (ca.pem) and a server certificate for 127.0.0.1 it signed (server.pem,
    server.key), made with openssl in `cwd`."""
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-days", "2", "-subj", "/CN=byok SDK test CA", "-keyout", "ca.key", "-out", "ca.pem",
            cwd=cwd)
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-subj", "/CN=127.0.0.1", "-keyout", "server.key", "-out", "server.csr", cwd=cwd)
    with open(os.path.join(cwd, "server.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                "extendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-extfile", "server.ext", "-out", "server.pem",
            cwd=cwd)
    os.chmod(os.path.join(cwd, "server.key"), 0o600)


class KmsServer:
    """One `byok-kms serve` with a fresh data directory in a temporary folder, an access key made
    up for it, and no console files (the --www-dir does not exist); with `tls`, over HTTPS with a
    certificate of a throwaway CA (`self.ca`, a PEM file); with `hsm`, connected to a throwaway
    SoftHSM2 token (`self.softhsm_conf`) by --hsm-module, --hsm-token and --hsm-pin-file."""

    def __init__(self, prefix="byok-sdk-", tls=False, hsm=False):
        self.work = tempfile.mkdtemp(prefix=prefix)
        self.data_dir = os.path.join(self.work, "data")
        self.port = free_port()
        self.endpoint = f"127.0.0.1:{self.port}"
        self.access_key_id = "LTAI" + secrets.token_hex(10)
        self.secret = secrets.token_urlsafe(24)
        self.aws_access_key_id = "AKIA" + secrets.token_hex(8).upper()
        self.aws_secret_access_key = secrets.token_urlsafe(30)
        env = dict(os.environ, BYOK_KMS_ACCESS_KEY_ID=self.access_key_id,
                   BYOK_KMS_ACCESS_KEY_SECRET=self.secret,
                   BYOK_KMS_AWS_ACCESS_KEY_ID=self.aws_access_key_id,
                   BYOK_KMS_AWS_SECRET_ACCESS_KEY=self.aws_secret_access_key, RUST_LOG="info")
        env.pop("BYOK_KMS_ROOT_KEY", None)
        self.log = open(os.path.join(self.work, "server.log"), "wb")
        self.ca, tls_args = None, []
        if tls:
            make_pki(self.work)
            self.ca = os.path.join(self.work, "ca.pem")
            tls_args = ["--tls-cert", os.path.join(self.work, "server.pem"),
                        "--tls-key", os.path.join(self.work, "server.key")]
        self.softhsm_conf, hsm_args = None, []
        if hsm:
            self.softhsm_conf = init_softhsm_token(self.work, "byok-kms-sdk", "sdk-test-pin")
            env["SOFTHSM2_CONF"] = self.softhsm_conf
            pin_file = os.path.join(self.work, "hsm.pin")
            with open(os.open(pin_file, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
                f.write("sdk-test-pin\n")
            hsm_args = ["--hsm-module", SOFTHSM_MODULE, "--hsm-token", "byok-kms-sdk",
                        "--hsm-pin-file", pin_file]
        self.process = subprocess.Popen(
            [BIN, "serve", "--listen", self.endpoint, "--data-dir", self.data_dir,
             "--www-dir", os.path.join(self.work, "no-www"), *tls_args, *hsm_args],
            env=env, stdout=self.log, stderr=self.log)
        wait_until_serving(self.port, self.process, self.log, self.ca)

    def official_client(self):
        """The official Python SDK's client (alibabacloud-kms20160120), ACS3-signed over HTTP with
        this server's access key."""
        from alibabacloud_kms20160120.client import Client
        from alibabacloud_tea_openapi import utils_models as open_api_models
        return Client(open_api_models.Config(
            access_key_id=self.access_key_id, access_key_secret=self.secret,
            endpoint=self.endpoint, protocol="http", region_id="cn-hangzhou"))

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)
        self.log.close()
        shutil.rmtree(self.work, ignore_errors=True)


SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"


def init_softhsm_token(cwd, label, pin):
    """A throwaway SoftHSM2 token `label` with user PIN `pin`, in its own directory under `cwd`
    (never the machine's tokens); returns its configuration file, for SOFTHSM2_CONF."""
    if not os.path.exists(SOFTHSM_MODULE):
        raise RuntimeError(f"SoftHSM2 is not installed ({SOFTHSM_MODULE}): run scripts/setup.sh test")
    tokens = os.path.join(cwd, "softhsm-tokens")
    os.mkdir(tokens)
    conf = os.path.join(cwd, "softhsm2.conf")
    with open(conf, "w") as f:
        f.write(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", label, "--pin", pin,
                    "--so-pin", "so-pin-of-the-sdk-test"], env=dict(os.environ, SOFTHSM2_CONF=conf),
                   check=True, capture_output=True)
    return conf


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def new_material(cwd):
    """`openssl rand -out KeyMaterial.bin 32`, as in the guide; returns the bytes."""
    openssl("rand", "-out", "KeyMaterial.bin", "32", cwd=cwd)
    with open(os.path.join(cwd, "KeyMaterial.bin"), "rb") as f:
        return f.read()


def wrap_material(public_key, algorithm, cwd):
    """Wraps cwd/KeyMaterial.bin under GetParametersForImport's PublicKey (base64 DER) with the
    guide's `openssl pkeyutl -encrypt` and `openssl enc -e -base64 -A`; returns the base64 text."""
    with open(os.path.join(cwd, "PublicKey.bin"), "wb") as f:
        f.write(base64.b64decode(public_key))
    openssl("pkeyutl", "-encrypt", "-in", "KeyMaterial.bin", "-inkey", "PublicKey.bin",
            "-keyform", "DER", "-pubin", "-out", "EncryptedKeyMaterial.bin",
            *OPENSSL_PADDING[algorithm], cwd=cwd)
    openssl("enc", "-e", "-base64", "-A", "-in", "EncryptedKeyMaterial.bin",
            "-out", "EncryptedKeyMaterial_base64.txt", cwd=cwd)
    with open(os.path.join(cwd, "EncryptedKeyMaterial_base64.txt")) as f:
        return f.read()


class RecordingProxy:
    """A loopback HTTP proxy in front of `target_port` that keeps each request as the client sent
    it: `{"method", "target" (path and query), "headers" (as sent, in order), "body"}`. Requests
    are forwarded unchanged, so signatures still verify."""

    def __init__(self, target_port):
        self.requests = []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def handle_one_request(self):
                self.raw_requestline = self.rfile.readline(65537)
                if not self.raw_requestline or not self.parse_request():
                    self.close_connection = True
                    return
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                proxy.requests.append({"method": self.command, "target": self.path,
                                       "headers": list(self.headers.items()), "body": body})
                upstream = http.client.HTTPConnection("127.0.0.1", target_port, timeout=30)
                upstream.putrequest(self.command, self.path, skip_host=True,
                                    skip_accept_encoding=True)
                for name, value in self.headers.items():
                    upstream.putheader(name, value)
                upstream.endheaders(body)
                reply = upstream.getresponse()
                content = reply.read()
                self.send_response_only(reply.status, reply.reason)
                for name, value in reply.getheaders():
                    if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)
                upstream.close()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.endpoint = f"127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
