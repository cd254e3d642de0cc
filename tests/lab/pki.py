"""The lab's certificate authorities and leaf certificates (``cryptography``, EC P-256: fast).

Three CAs:

* ``lab``: plays the public web PKI. Lab profiles name it in ``ca_file`` (the profile's owner
  vouches for it) and the lab's simulated OS store contains it.
* ``evil``: trusted by nobody; a hostile interceptor signs with it.
* ``corporate``: a company's inspection root. Trusted only where a test puts it into an OS-store
  bundle (:meth:`PKI.bundle` / ``Lab.os_store_bundle_with``).

CAs are valid from 10 years ago to 10 years ahead, leaves from one day ago to 90 days ahead,
so a client whose clock is ~3 years behind (``faketime``) sees "not yet valid" leaves but
valid roots, like a real machine with a wrong clock.
"""

from __future__ import annotations

import atexit
import datetime as dt
import hashlib
import ipaddress
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

LEAF_KINDS = ("valid", "expired", "wrong_name", "self_signed", "not_yet_valid")
DEFAULT_WRONG_NAME = "unrelated-host.lab-other.test"


@dataclass(frozen=True)
class Leaf:
    """A certificate and its key, as PEM files (``cert_path`` holds the leaf only)."""

    cert_path: Path
    key_path: Path
    names: tuple[str, ...]
    issuer: str


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _san(names: tuple[str, ...]) -> x509.SubjectAlternativeName:
    entries: list[x509.GeneralName] = []
    for name in names:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return x509.SubjectAlternativeName(entries)


def _write_key(key: ec.EllipticCurvePrivateKey, path: Path) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)


class CertAuthority:
    """A root CA that issues leaf certificates into its directory."""

    def __init__(
        self, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey, directory: Path, label: str
    ) -> None:
        self.cert = cert
        self.key = key
        self.directory = directory
        self.label = label
        self.pem_path = directory / f"{label}-ca.pem"
        self.key_path = directory / f"{label}-ca.key"
        self._lock = threading.Lock()
        self._cache: dict[tuple[object, ...], Leaf] = {}

    @property
    def common_name(self) -> str:
        attrs = self.cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        return str(attrs[0].value) if attrs else self.label

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @classmethod
    def create(
        cls, directory: Path, label: str, common_name: str, organization: str
    ) -> CertAuthority:
        directory.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            ]
        )
        now = _now()
        ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
        cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=3650))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(ski, critical=False)
            .sign(key, hashes.SHA256())
        )
        ca = cls(cert, key, directory, label)
        ca.pem_path.write_bytes(ca.pem)
        _write_key(key, ca.key_path)
        return ca

    @classmethod
    def load(cls, cert_path: Path, key_path: Path, directory: Path) -> CertAuthority:
        """Load a CA written by :meth:`create` (the censor's interceptor does this)."""
        cert = x509.load_pem_x509_certificate(Path(cert_path).read_bytes())
        key = serialization.load_pem_private_key(Path(key_path).read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise TypeError("lab CAs use EC keys")
        directory.mkdir(parents=True, exist_ok=True)
        label = Path(cert_path).name.removesuffix("-ca.pem")
        ca = cls(cert, key, directory, label)
        return ca

    def issue(
        self,
        names: tuple[str, ...] | list[str] | str,
        *,
        kind: str = "valid",
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
    ) -> Leaf:
        """Issue (or reuse) a leaf for ``names``.

        ``kind``: ``valid`` (from yesterday to 90 days ahead), ``expired`` (ended 30 days ago),
        ``not_yet_valid`` (starts in 30 days), ``self_signed`` (signed by its own key, not by
        this CA). A different name is simply a different ``names`` (see :meth:`PKI.leaf`).
        """
        if isinstance(names, str):
            names = (names,)
        names = tuple(names)
        if kind not in LEAF_KINDS or kind == "wrong_name":
            raise ValueError(f"unknown certificate kind {kind!r}")
        key_id = (names, kind, not_before, not_after)
        with self._lock:
            cached = self._cache.get(key_id)
            if cached is not None:
                return cached
            now = _now()
            if not_before is None or not_after is None:
                start, end = {
                    "valid": (now - dt.timedelta(days=1), now + dt.timedelta(days=90)),
                    "self_signed": (now - dt.timedelta(days=1), now + dt.timedelta(days=90)),
                    "expired": (now - dt.timedelta(days=400), now - dt.timedelta(days=30)),
                    "not_yet_valid": (now + dt.timedelta(days=30), now + dt.timedelta(days=400)),
                }[kind]
                not_before = not_before or start
                not_after = not_after or end
            key = ec.generate_private_key(ec.SECP256R1())
            subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0][:64])])
            if kind == "self_signed":
                issuer_name, signer = subject, key
                aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key())
            else:
                issuer_name, signer = self.cert.subject, self.key
                aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key())
            cert = (
                x509.CertificateBuilder()
                .subject_name(subject)
                .issuer_name(issuer_name)
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(not_before)
                .not_valid_after(not_after)
                .add_extension(_san(names), critical=False)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(
                    x509.KeyUsage(
                        digital_signature=True,
                        content_commitment=False,
                        key_encipherment=False,
                        data_encipherment=False,
                        key_agreement=False,
                        key_cert_sign=False,
                        crl_sign=False,
                        encipher_only=False,
                        decipher_only=False,
                    ),
                    critical=True,
                )
                .add_extension(
                    x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
                )
                .add_extension(
                    x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
                )
                .add_extension(aki, critical=False)
                .sign(signer, hashes.SHA256())
            )
            digest = hashlib.sha1(repr(key_id).encode(), usedforsecurity=False).hexdigest()[:12]
            stem = f"{self.label}-{kind}-{names[0][:40]}-{digest}"
            cert_path = self.directory / f"{stem}.pem"
            key_path = self.directory / f"{stem}.key"
            cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
            _write_key(key, key_path)
            leaf = Leaf(
                cert_path, key_path, names, "self" if kind == "self_signed" else self.common_name
            )
            self._cache[key_id] = leaf
            return leaf


class PKI:
    """The lab CA, the evil CA and the corporate CA, in one directory."""

    _session: PKI | None = None
    _session_lock = threading.Lock()

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.lab = CertAuthority.create(
            self.directory, "lab", "Clearsight Lab Root CA", "Clearsight Lab Trust Services"
        )
        self.evil = CertAuthority.create(
            self.directory, "evil", "Totally Legit Root CA", "Interception Inc."
        )
        self.corporate = CertAuthority.create(
            self.directory, "corporate", "Acme Corp Inspection Root", "Acme Corporation IT Security"
        )
        self._bundle_count = 0
        self._bundle_lock = threading.Lock()

    @classmethod
    def session(cls) -> PKI:
        """One PKI per process (a test session), removed at exit."""
        with cls._session_lock:
            if cls._session is None:
                directory = Path(tempfile.mkdtemp(prefix="clearsight-lab-pki-"))
                atexit.register(shutil.rmtree, directory, ignore_errors=True)
                cls._session = cls(directory)
            return cls._session

    def ca(self, which: str | CertAuthority) -> CertAuthority:
        if isinstance(which, CertAuthority):
            return which
        try:
            return {"lab": self.lab, "evil": self.evil, "corporate": self.corporate}[which]
        except KeyError:
            raise ValueError(f"unknown CA {which!r}: lab, evil or corporate") from None

    def leaf(
        self,
        name: str,
        kind: str = "valid",
        *,
        other_name: str | None = None,
        extra_names: tuple[str, ...] = (),
        ca: str | CertAuthority = "lab",
    ) -> Leaf:
        """A leaf for a site. ``wrong_name``: a valid certificate from the same CA for
        ``other_name`` (default ``unrelated-host.lab-other.test``), not for ``name``."""
        authority = self.ca(ca)
        if kind == "wrong_name":
            return authority.issue((other_name or DEFAULT_WRONG_NAME,), kind="valid")
        return authority.issue((name, *extra_names), kind=kind)

    def bundle(self, *cas: str | CertAuthority, include_lab: bool = True) -> Path:
        """A PEM bundle (for ``SSL_CERT_FILE``: the simulated OS store) holding the lab CA
        (unless ``include_lab=False``) and the given CAs."""
        authorities = [self.ca(c) for c in cas]
        if include_lab and self.lab not in authorities:
            authorities.insert(0, self.lab)
        with self._bundle_lock:
            self._bundle_count += 1
            labels = "-".join(a.label for a in authorities) or "empty"
            path = self.directory / f"bundle-{self._bundle_count}-{labels}.pem"
        path.write_bytes(b"".join(a.pem for a in authorities))
        return path
