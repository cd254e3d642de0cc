import gzip
import json
import pickle
from pathlib import Path

out = Path(".")
HEAD = 'format = 1\nname = "Hostile"\ncountry = "CN"\ninclude_default = false\n'
SVC = '[[services]]\nid = "a"\nname = "A"\ngroup = "G"\n'


def w(name: str, data: str | bytes) -> None:
    (out / name).write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))


# ---------------------------------------------------------------- profiles
w("p01-format-as-text.clearsight", 'format = "1"\nname = "x"\n')
w("p02-format-2.clearsight", 'format = 2\nname = "From the future"\n')
w("p03-no-format.clearsight", 'name = "No format"\n')
w("p04-services-as-text.clearsight", HEAD + 'services = "gmail"\n')
w("p05-unknown-key.clearsight", HEAD + 'nmae = "typo"\n')
w(
    "p06-unknown-nested-key.clearsight",
    HEAD + SVC + 'urls = ["https://a.example/"]\ncolour = "red"\n',
)
w("p07-huge-string.clearsight", HEAD.replace('"Hostile"', '"' + "x" * 100000 + '"'))
w("p08-huge-float.clearsight", HEAD + "[settings]\ntimeout_s = 1e400\n")
w("p09-huge-integer.clearsight", "format = " + "9" * 5000 + '\nname = "x"\n')
w("p10-latin1.clearsight", HEAD.encode() + 'support_contact = "M\xfcller"\n'.encode("latin-1"))
w("p11-utf16.clearsight", "\ufeff".encode("utf-16-le") + HEAD.encode("utf-16-le"))
w("p12-nul-bytes.clearsight", HEAD.encode() + b'support_contact = "a\x00b"\n')
w("p13-binary-garbage.clearsight", bytes((i * 131 + 17) % 256 for i in range(4096)))
w("p14-empty.clearsight", b"")
w(
    "p15-ca-file-escapes.clearsight",
    HEAD + '[settings]\nca_file = "../../../../../../etc/ssl/certs/ca-certificates.crt"\n',
)
w(
    "p16-ca-file-not-pem.clearsight",
    HEAD
    + '[settings]\nca_file = "not-a-certificate.pem"\n'
    + SVC
    + 'urls = ["https://a.example/"]\n',
)
w(
    "not-a-certificate.pem",
    "-----BEGIN CERTIFICATE-----\nthis is not base64 at all\n-----END CERTIFICATE-----\n",
)
w(
    "p17-ca-file-missing.clearsight",
    HEAD + '[settings]\nca_file = "/nonexistent/clearsight/root.pem"\n',
)
w("p18-url-file-scheme.clearsight", HEAD + SVC + 'urls = ["file:///etc/passwd"]\n')
w("p19-url-javascript.clearsight", HEAD + SVC + 'urls = ["javascript:alert(document.cookie)"]\n')
w("p20-url-data.clearsight", HEAD + SVC + 'urls = ["data:text/html,<script>alert(1)</script>"]\n')
w("p21-url-ftp.clearsight", HEAD + SVC + 'urls = ["ftp://files.example/"]\n')
w(
    "p22-url-credentials.clearsight",
    HEAD + SVC + 'urls = ["https://admin:hunter2@intranet.example/"]\n',
)
w("p23-url-bad-port.clearsight", HEAD + SVC + 'urls = ["https://a.example:99999/"]\n')
w("p24-url-unc-path.clearsight", HEAD + SVC + 'urls = ["\\\\\\\\fileserver\\\\share"]\n')
w(
    "p25-doh-plain-http.clearsight",
    HEAD + '[[doh]]\nname = "D"\nurl = "http://doh.example/dns-query"\nbootstrap = ["192.0.2.1"]\n',
)
w(
    "p26-captive-gopher.clearsight",
    HEAD + '[[captive_checks]]\nurl = "gopher://portal.example/"\nexpect_status = 204\n',
)
w("p27-exit-check-file.clearsight", HEAD + '[exit_check]\nurl = "file:///proc/self/environ"\n')
w("p28-deep-nesting.clearsight", 'format = 1\nname = "x"\na = ' + "[" * 20000 + "]" * 20000 + "\n")
w("p29-country-lowercase.clearsight", HEAD.replace('"CN"', '"cn"'))
w("p30-language-unknown.clearsight", HEAD + '[settings]\nlanguage = "zh_TW"\n')
w(
    "p31-vpn-protocol-unknown.clearsight",
    HEAD + '[[vpn.endpoints]]\nname = "V"\nhost = "vpn.example"\nport = 1194\nprotocol = "pptp"\n',
)
w(
    "p32-resolver-multicast.clearsight",
    HEAD + '[[resolvers]]\nname = "R"\naddress = "224.0.0.251"\n',
)
w(
    "p33-duplicate-service.clearsight",
    HEAD + SVC + 'urls = ["https://a.example/"]\n' + SVC + 'urls = ["https://b.example/"]\n',
)
w("p34-negative-timeout.clearsight", HEAD + "[settings]\ntimeout_s = -5\n")
w("p35-deadline-too-short.clearsight", HEAD + "[settings]\ntimeout_s = 10\ndeadline_s = 1\n")
w(
    "p36-a-report-opened-as-profile.clearsight",
    json.dumps({"schema": "clearsight-report/1", "observations": []}),
)
w("p37-python-code.clearsight", "__import__('os').system('touch /tmp/clearsight-pwned')\n")
w(
    "p38-vpn-host-is-url.clearsight",
    HEAD
    + '[[vpn.endpoints]]\nname = "V"\nhost = "https://vpn.example/"\n'
    + 'port = 443\nprotocol = "https"\n',
)
w(
    "p39-service-id-path.clearsight",
    HEAD
    + '[[services]]\nid = "../../etc/passwd"\nname = "A"\ngroup = "G"\nurls = ["https://a.example/"]\n',
)
w(
    "p40-ansi-escape-name.clearsight",
    HEAD.replace('"Hostile"', '"\\u001b]0;pwned\\u0007\\u001b[2J"'),
)
w(
    "p41-too-many-services.clearsight",
    HEAD
    + "".join(
        f'[[services]]\nid = "s{i}"\nname = "S"\ngroup = "G"\nurls = ["https://s{i}.example/"]\n'
        for i in range(600)
    ),
)
w("p42-host-with-space.clearsight", HEAD + SVC + 'urls = ["https://exa mple.com/"]\n')

# ---------------------------------------------------------------- reports
S = "clearsight-report/1"
w(
    "r01-other-schema.clearsight-report",
    json.dumps({"schema": "clearsight-report/2", "observations": []}),
)
w("r02-no-schema.json", json.dumps({"observations": []}))
w("r03-not-json.clearsight-report", "This is not a report.\n")
w(
    "r04-truncated.clearsight-report",
    json.dumps({"schema": S, "observations": [{"kind": "tcp"}]})[:30],
)
w("r05-observations-not-a-list.json", json.dumps({"schema": S, "observations": {"kind": "tcp"}}))
w(
    "r06-port-as-text.json",
    json.dumps(
        {
            "schema": S,
            "observations": [
                {"kind": "tcp", "address": "192.0.2.1", "port": "443", "family": "ipv4"}
            ],
        }
    ),
)
w("r07-unknown-kind.json", json.dumps({"schema": S, "observations": [{"kind": "rm -rf /"}]}))
w(
    "r08-huge-integer.json",
    '{"schema": "clearsight-report/1", "observations": [], "duration_s": ' + "7" * 5000 + "}",
)
w(
    "r09-nan.json",
    '{"schema": "clearsight-report/1", "observations": [{"kind": "tcp", '
    '"address": "192.0.2.1", "port": 443, "family": "ipv4", "elapsed_ms": NaN}]}',
)
w(
    "r10-deep-nesting.json",
    '{"schema": "clearsight-report/1", "observations": ' + "[" * 20000 + "]" * 20000 + "}",
)
w(
    "r11-latin1.clearsight-report",
    (
        '{"schema": "clearsight-report/1", "profile": {"name": "M\xfcller"}, "observations": []}'
    ).encode("latin-1"),
)
w("r12-utf16.json", json.dumps({"schema": S, "observations": []}).encode("utf-16"))
w("r13-html-without-report.html", "<!doctype html><html><body><h1>Hello</h1></body></html>\n")
w(
    "r14-html-cut-short.html",
    '<!doctype html><html><script type="application/json" id="clearsight-report">'
    '{"schema": "clearsight-report/1", "obs',
)
w(
    "r15-html-other-schema.html",
    '<html><script type="application/json" id="clearsight-report">'
    + json.dumps({"schema": "evil/9", "observations": []})
    + "</script></html>",
)
w(
    "r16-html-script-breakout.html",
    '<html><script type="application/json" id="clearsight-report">'
    '{"schema": "</script><script>alert(1)</script>"}</script></html>',
)
w("r17-empty.json", b"")
w("r18-top-level-list.json", json.dumps([{"schema": S}]))
w(
    "r19-plan-without-urls.json",
    json.dumps(
        {
            "schema": S,
            "observations": [
                {
                    "kind": "plan",
                    "profile_name": "x",
                    "country": "CN",
                    "timeout_s": 1.0,
                    "deadline_s": 4.0,
                    "services": [{"id": "a", "name": "A", "group": "G", "urls": []}],
                }
            ],
        }
    ),
)
w("r20-pickle.clearsight-report", pickle.dumps({"schema": S, "observations": []}))
w("r21-python-code.json", "__import__('os').system('touch /tmp/clearsight-pwned')\n")
w("r22-profile-opened-as-report.clearsight-report", HEAD)
w(
    "r23-infinity-duration.json",
    '{"schema": "clearsight-report/1", "observations": [{"kind": "tcp", '
    '"address": "192.0.2.1", "port": 443, "family": "ipv4", "elapsed_ms": Infinity}]}',
)
w(
    "r24-gzip.clearsight-report",
    gzip.compress(json.dumps({"schema": S, "observations": []}).encode()),
)
w(
    "r25-missing-required-field.json",
    json.dumps({"schema": S, "observations": [{"kind": "tcp", "port": 443}]}),
)
w("r26-schema-as-number.json", json.dumps({"schema": 1, "observations": []}))
